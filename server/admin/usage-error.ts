/** A command used wrongly (a missing or bad option): the admin tool says why and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
