import type { Alarm } from './alarm.js';
import type { User } from './api.js';
import type { Store } from './store.js';
import type { LiveView } from '../../protocol/live.js';

/** What every view gets. */
export type Ctx = {
  store: Store;
  user: User;
  alarm: Alarm;
  /** Go to a route, e.g. `#/household/12`. */
  navigate(hash: string): void;
  /** Which place the live feed shows (views/wall.ts watches one; every other view everything). */
  watch(view: LiveView | null | 'auto'): void;
  /** A short message at the bottom of the screen (also read by screen readers, politely). */
  toast(text: string, kind?: 'ok' | 'error'): void;
};

/** A mounted view: its element, and what to undo when another view replaces it. */
export type View = { el: HTMLElement; destroy(): void };
export type ViewFactory = (ctx: Ctx, params: readonly string[]) => View;
