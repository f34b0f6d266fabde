import type { LiveView } from '../../protocol/live.js';
import type { ViewFactory } from './context.js';
import { alarmsView } from './views/alarms.js';
import { householdView } from './views/household.js';
import { patrolView } from './views/patrol.js';
import { wallView, wallWatch } from './views/wall.js';

/**
 * The dashboard's `#/…` routes. The wall, the alarms, a household and the patrol are in the
 * page's first script (a patrol phone may reload with no network: the service worker keeps what
 * the page names); the office's screens — figures, 各地统计, duty — load when first opened (their
 * files are kept by the service worker from then on), so the first load stays small.
 */
type Route = ViewFactory | { lazy: () => Promise<ViewFactory>; under?: 'manage' };

const ROUTES: Record<string, Route> = {
  wall: wallView,
  alarms: alarmsView,
  household: householdView,
  patrol: patrolView,
  figures: { lazy: () => import('./views/figures.js').then((m) => m.figuresView) },
  places: { lazy: () => import('./views/places.js').then((m) => m.placesView) },
  duty: { lazy: () => import('./views/duty.js').then((m) => m.dutyView) },
  // The staff's screens (issue 15), listed on 管理 (manage-screens.ts, which this first
  // script does not load): the nav marks 管理 while one is open.
  manage: { lazy: () => import('./views/manage.js').then((m) => m.manageView) },
  households: { lazy: () => import('./views/households.js').then((m) => m.householdsView), under: 'manage' },
  devices: { lazy: () => import('./views/devices.js').then((m) => m.devicesView), under: 'manage' },
  import: { lazy: () => import('./views/import.js').then((m) => m.importView), under: 'manage' },
  fleet: { lazy: () => import('./views/fleet.js').then((m) => m.fleetView), under: 'manage' },
  inventory: { lazy: () => import('./views/inventory.js').then((m) => m.inventoryView), under: 'manage' },
  people: { lazy: () => import('./views/people.js').then((m) => m.peopleView), under: 'manage' },
  users: { lazy: () => import('./views/users.js').then((m) => m.usersView), under: 'manage' },
  channels: { lazy: () => import('./views/channels.js').then((m) => m.channelsView), under: 'manage' },
  'device-settings': {
    lazy: () => import('./views/device-settings.js').then((m) => m.deviceSettingsView),
    under: 'manage',
  },
  audit: { lazy: () => import('./views/audit.js').then((m) => m.auditView), under: 'manage' },
};

/** The nav's links, in order; each one's word is `nav.<route>`. */
export const NAV = ['wall', 'alarms', 'patrol', 'figures', 'places', 'duty', 'manage'] as const;

/** Nav links a role does not get (the screens behind 管理 are for staff and admins). */
export const NAV_HIDDEN: Readonly<Record<string, readonly string[]>> = { volunteer: ['manage'] };

/** The nav link a route is under: a screen listed on 管理 is under `manage`. */
export function navOf(name: string): string {
  const route = ROUTES[name];
  return (typeof route === 'object' ? route.under : undefined) ?? name;
}

function defaultRoute(): string {
  return window.matchMedia('(max-width: 700px)').matches ? 'patrol' : 'wall';
}

/** The route in the address: its name (a known one, or the default) and its parameters. */
export function currentRoute(): { name: string; params: string[] } {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return parts[0] && ROUTES[parts[0]]
    ? { name: parts[0], params: parts.slice(1) }
    : { name: defaultRoute(), params: [] };
}

/** The live view of the route the page opens on (a wall: its place; any other: everything). */
export function initialView(): LiveView | null | 'auto' {
  const { name, params } = currentRoute();
  return name === 'wall' ? wallWatch(params) : null;
}

/** The route's view factory: at once, or once its file has loaded. */
export function viewFactory(name: string): ViewFactory | Promise<ViewFactory> {
  const route = ROUTES[name] ?? wallView;
  return typeof route === 'function' ? route : route.lazy();
}
