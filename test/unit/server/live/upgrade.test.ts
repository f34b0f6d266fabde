import { describe, expect, it } from 'vitest';
import { sameHost, sessionCookie } from '../../../../server/live/upgrade.js';

describe('sessionCookie: the session cookie of a Cookie header', () => {
  it.each<[string | undefined, string | null]>([
    [undefined, null],
    ['', null],
    ['ribbon_session=abc', 'abc'],
    ['other=1; ribbon_session=abc; third=3', 'abc'],
    [' ribbon_session = abc ', 'abc'],
    ['ribbon_session="abc"', 'abc'],
    ['ribbon_session=a%20b', 'a b'],
    ['ribbon_session=%E0%A4%A', null], // not URI-encoded: ignored
    ['ribbon_session=', null],
    ['ribbon_session=old; ribbon_session=new', 'new'], // the last wins
    ['ribbon_session=old; ribbon_session=', 'old'], // an empty one does not clear it
    ['ribbon_sessionx=abc', null],
    ['xribbon_session=abc', null],
    ['ribbon_session', null],
  ])('when the header is %j, then %j', (header, expected) => {
    expect(sessionCookie(header)).toBe(expected);
  });
});

describe('sameHost: an Origin of the same host and port as Host', () => {
  it.each<[string, string | undefined, boolean]>([
    ['http://127.0.0.1:8080', '127.0.0.1:8080', true],
    ['https://ribbon.example', 'ribbon.example', true],
    ['https://Ribbon.Example', 'ribbon.EXAMPLE', true],
    ['https://ribbon.example:443', 'ribbon.example', true], // the default port is dropped
    ['http://127.0.0.1:8081', '127.0.0.1:8080', false],
    ['http://evil.example', '127.0.0.1:8080', false],
    ['http://ribbon.example.evil.example', 'ribbon.example', false],
    ['ws://127.0.0.1:8080', '127.0.0.1:8080', false],
    ['file://', '', false],
    ['null', '127.0.0.1:8080', false],
    ['http://127.0.0.1:8080', undefined, false],
    ['http://127.0.0.1:8080', '', false],
  ])('when Origin is %j and Host %j, then %s', (origin, host, expected) => {
    expect(sameHost(origin, host)).toBe(expected);
  });
});
