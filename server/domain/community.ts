/**
 * The community's words for its people, as the API, the roster files and the admin tool spell
 * them: the roles people answer alarms in, the roles of those who log in, and what a volunteer
 * can record seeing at a window that shows no ribbon.
 */

export { PERSON_ROLES, type PersonRole } from '../../protocol/community.js';

export const USER_ROLES = ['admin', 'staff', 'volunteer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** What a volunteer saw at the window when it was not a ribbon (only 'none' so far). */
export const VISIT_SEEN = ['none'] as const;
export type VisitSeen = (typeof VISIT_SEEN)[number];
