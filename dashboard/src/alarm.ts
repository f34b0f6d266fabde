import type { Alert } from './api.js';
import { t } from './i18n.js';
import { address } from './ribbon.js';

/**
 * The alarm for a new red: a sound (Web Audio: nothing to download), the page title flashing
 * while any emergency waits for someone to go, and the news read out by screen readers (an
 * aria-live region). The mute switch is visible and remembered on this device.
 *
 * Browsers only let a page make sound after the person has touched it; the login click counts.
 * Until then the mute button says "click anywhere to enable the alarm sound".
 */
const MUTE_KEY = 'ribbon.muted';

export type Alarm = {
  /** Sound, announce and flash for these newly seen emergencies (each alert id once). */
  raise(alerts: readonly Alert[]): void;
  /** The emergencies still waiting for someone (drives the title flash and the repeat). */
  setWaiting(count: number, first: string | null): void;
  muted(): boolean;
  setMuted(muted: boolean): void;
  /** Whether the browser lets us make sound now. */
  audible(): boolean;
  /** How many times the alarm sounded (for the tests and the operator). */
  played(): number;
  onChange(listener: () => void): void;
  /** At logout: the announcement emptied (and one still on its way dropped), the title flash stopped. */
  clear(): void;
};

/** Repeat the sound while an emergency is still waiting, so a volunteer back from the kitchen hears it. */
export const REPEAT_MS = 30_000;

export function createAlarm(live: HTMLElement, baseTitle: () => string): Alarm {
  let ctx: AudioContext | null = null;
  let muted = readMuted();
  let count = 0;
  let waiting = 0;
  let waitingText: string | null = null;
  let flashOn = false;
  let lastSound = 0;
  const seen = new Set<number>();
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());

  function readMuted(): boolean {
    try {
      return localStorage.getItem(MUTE_KEY) === '1';
    } catch {
      return false;
    }
  }

  function context(): AudioContext | null {
    if (ctx === null) {
      try {
        ctx = new AudioContext();
        ctx.onstatechange = changed;
      } catch {
        return null;
      }
    }
    return ctx;
  }

  // Made at once, so the page knows (and says) whether the browser lets it sound yet.
  context();
  // Any touch of the page may unlock the sound.
  const unlock = () => {
    const c = context();
    if (c && c.state === 'suspended') void c.resume().then(changed, () => {});
  };
  document.addEventListener('pointerdown', unlock, true);
  document.addEventListener('keydown', unlock, true);

  /** Three falling two-tone beeps, about 1.5 s. */
  function sound(): void {
    if (muted) return;
    const c = context();
    if (c === null) return;
    lastSound = Date.now();
    if (c.state === 'running') beep(c);
    // Not allowed to sound yet: it sounds as soon as the person touches the page.
    else
      void c.resume().then(
        () => c.state === 'running' && beep(c),
        () => {},
      );
  }

  function beep(c: AudioContext): void {
    const start = c.currentTime + 0.05;
    for (let i = 0; i < 3; i += 1) {
      for (const [offset, freq] of [
        [0, 988],
        [0.22, 740],
      ] as const) {
        const at = start + i * 0.5 + offset;
        const osc = c.createOscillator();
        const gain = c.createGain();
        osc.type = 'square';
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
        osc.connect(gain).connect(c.destination);
        osc.start(at);
        osc.stop(at + 0.21);
      }
    }
    count += 1;
    changed();
  }

  let pending: ReturnType<typeof setTimeout> | undefined;
  function announce(text: string): void {
    // Replacing the text is what makes assistive technology read it again.
    live.textContent = '';
    clearTimeout(pending);
    pending = setTimeout(() => {
      live.textContent = text;
    }, 50);
  }

  setInterval(() => {
    if (waiting === 0) {
      if (flashOn) {
        flashOn = false;
        document.title = baseTitle();
      }
      return;
    }
    flashOn = !flashOn;
    document.title = flashOn ? `${t('title.flash')}${waitingText ?? ''}` : baseTitle();
    if (Date.now() - lastSound >= REPEAT_MS) sound();
  }, 1000);

  return {
    raise(alerts) {
      const fresh = alerts.filter((a) => a.kind === 'emergency' && a.status === 'open' && !seen.has(a.id));
      for (const a of alerts) seen.add(a.id);
      if (fresh.length === 0) return;
      sound();
      const first = fresh[0];
      const where = first?.household ? `${address(first.household)} ${first.household.name}` : `#${first?.householdId}`;
      announce(t('alarms.new', { where }) + (fresh.length > 1 ? ` (+${fresh.length - 1})` : ''));
    },
    setWaiting(n, first) {
      waiting = n;
      waitingText = first;
    },
    muted: () => muted,
    setMuted(next) {
      muted = next;
      try {
        localStorage.setItem(MUTE_KEY, next ? '1' : '0');
      } catch {
        // Remembered for this page only.
      }
      changed();
    },
    audible: () => ctx !== null && ctx.state === 'running',
    played: () => count,
    onChange(listener) {
      listeners.add(listener);
    },
    clear() {
      clearTimeout(pending);
      live.textContent = '';
      waiting = 0;
      waitingText = null;
      flashOn = false;
      document.title = baseTitle();
    },
  };
}
