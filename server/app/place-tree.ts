import type { ScopeLevel } from '../domain/places.js';
import type { Area, Stores, User } from './ports.js';

/**
 * The places a user sees as a tree: district › streets › communities › compounds (docs/design.md
 * §1), pruned to the user's compounds (User.compoundIds; an admin sees every place, empty ones
 * too). A place is shown when at least one of its compounds is in the user's scope, and its
 * figures then count only those compounds — a street official asking for the district gets the
 * district as far as their street goes, never a neighbour street's households.
 */

export type PlaceRef = { level: ScopeLevel; id: number };

export type PlaceNode = {
  level: ScopeLevel;
  id: number;
  name: string;
  parent: PlaceNode | null;
  /** Sub-places in name order (compounds under a community); none under a compound. */
  children: PlaceNode[];
  /** The user's compounds under (or at) this place, by id. */
  compoundIds: number[];
};

export type PlaceTree = {
  root: PlaceNode;
  /** The place, or null when it does not exist or the user sees none of its compounds. */
  find(ref: PlaceRef): PlaceNode | null;
  /** The user's own top place: the deepest area that holds all the compounds they see. */
  top: PlaceNode;
  /** Every place from the root down, depth first, parents before their children. */
  walk(from: PlaceNode): PlaceNode[];
};

const key = (level: ScopeLevel, id: number) => `${level}:${id}`;

const byName = (a: PlaceNode, b: PlaceNode) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id);

export function placeTree(stores: Stores, user: User): PlaceTree {
  const admin = user.role === 'admin';
  const visible = new Set(user.compoundIds);
  const nodes = new Map<string, PlaceNode>();
  const areas = stores.areas.list();
  const node = (a: Area): PlaceNode => ({
    level: a.level,
    id: a.id,
    name: a.name,
    parent: null,
    children: [],
    compoundIds: [],
  });
  for (const a of areas) nodes.set(key(a.level, a.id), node(a));
  const parentLevel = { district: null, street: 'district', community: 'street' } as const;
  let root: PlaceNode | null = null;
  for (const a of areas) {
    const n = nodes.get(key(a.level, a.id));
    const up = parentLevel[a.level];
    if (n === undefined) continue;
    if (up === null || a.parentId === null) {
      root = n;
      continue;
    }
    const p = nodes.get(key(up, a.parentId)) ?? null;
    n.parent = p;
    p?.children.push(n);
  }
  if (root === null) throw new Error('no district: migration 11 makes one');
  const communityOf = stores.areas.compoundCommunities();
  for (const c of stores.places.listCompounds()) {
    if (!admin && !visible.has(c.id)) continue;
    const community = nodes.get(key('community', communityOf.get(c.id) ?? -1));
    if (community === undefined) continue;
    const n: PlaceNode = {
      level: 'compound',
      id: c.id,
      name: c.name,
      parent: community,
      children: [],
      compoundIds: [c.id],
    };
    nodes.set(key('compound', c.id), n);
    community.children.push(n);
    for (let up: PlaceNode | null = community; up !== null; up = up.parent) up.compoundIds.push(c.id);
  }
  // Hide what the user has none of (an admin keeps empty places: they are theirs to fill).
  const prune = (n: PlaceNode): void => {
    if (!admin) n.children = n.children.filter((c) => c.compoundIds.length > 0);
    n.children.sort(byName);
    n.compoundIds.sort((a, b) => a - b);
    for (const c of n.children) prune(c);
  };
  prune(root);
  const seen = new Set<PlaceNode>();
  const mark = (n: PlaceNode): void => {
    seen.add(n);
    for (const c of n.children) mark(c);
  };
  mark(root);

  let top = root;
  while (top.children.length === 1 && top.children[0]?.level !== 'compound') top = top.children[0] ?? top;

  return {
    root,
    top,
    find(ref: PlaceRef): PlaceNode | null {
      const n = nodes.get(key(ref.level, ref.id));
      if (n === undefined || !seen.has(n)) return null;
      return admin || n.compoundIds.length > 0 ? n : null;
    },
    walk(from: PlaceNode): PlaceNode[] {
      const out: PlaceNode[] = [];
      const go = (n: PlaceNode): void => {
        out.push(n);
        for (const c of n.children) go(c);
      };
      go(from);
      return out;
    },
  };
}

/** The place's ancestors, from the district down to its parent. */
export function pathOf(n: PlaceNode): PlaceNode[] {
  const out: PlaceNode[] = [];
  for (let up = n.parent; up !== null; up = up.parent) out.unshift(up);
  return out;
}

/** Figures of `node` and every place under it: compounds their own, the others the sum of their children. */
export function sumTree<F>(node: PlaceNode, leaf: (compoundId: number) => F, add: (a: F, b: F) => F, zero: () => F) {
  const out = new Map<PlaceNode, F>();
  const go = (n: PlaceNode): F => {
    const f = n.level === 'compound' ? leaf(n.id) : n.children.map(go).reduce(add, zero());
    out.set(n, f);
    return f;
  };
  go(node);
  return out;
}
