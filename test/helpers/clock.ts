/** A clock the test moves by hand (`clock.ms += 60_000`): the system reads time only through it. */
export class ManualClock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}
