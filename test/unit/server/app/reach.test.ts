import { describe, expect, it } from 'vitest';
import { type PhoneStatus, reachOf } from '../../../../server/app/reach.js';

const sms = (status: PhoneStatus['status'], failing = false): PhoneStatus => ({
  tier: 1,
  medium: 'sms',
  status,
  failing,
});
const call = (status: PhoneStatus['status'], failing = false): PhoneStatus => ({
  tier: 1,
  medium: 'call',
  status,
  failing,
});

describe('reachOf', () => {
  it.each<[string, PhoneStatus[], string | null]>([
    ['one SMS accepted, a call failed', [sms('sent'), call('failed')], 'reached'],
    ['an SMS on its way, not failed yet', [sms('pending'), call('failed')], 'pending'],
    // A provider down: retries wait, nobody has been reached meanwhile (the banner shows).
    ['every row failing, retries waiting', [sms('pending', true), call('pending', true)], 'unreached'],
    ['every row failed for good', [sms('failed'), call('failed')], 'unreached'],
    ['no phone to try at all', [], 'unreached'],
  ])('when an emergency has %s, then it is %s', (_name, phones, expected) => {
    expect(reachOf({ kind: 'emergency', reach: null }, phones)).toBe(expected);
  });

  it('when a service request has no phone row, then its reach stays as it was (null: phones not tried)', () => {
    expect(reachOf({ kind: 'service', reach: null }, [])).toBeNull();
  });
});
