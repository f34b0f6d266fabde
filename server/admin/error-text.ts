import { ConfigError } from '../config.js';
import { UsageError } from './usage-error.js';

/**
 * What the admin tool prints for an error that ends it, in Chinese and English: a UsageError is
 * both already; the errors of the parts it calls (node's parseArgs, config.ts, the use cases'
 * RangeErrors) speak English, and are given their Chinese here — the known ones word for word,
 * the rest by kind.
 */
const KNOWN: ReadonlyArray<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^household (\d+) does not exist$/, (m) => `住户 ${m[1]} 不存在`],
  [/^device id ("[^"]*") is not valid/, (m) => `设备编号 ${m[1]} 不正确：应为 3–23 个字母、数字、- 或 _`],
  [/^Unknown option '([^']*)'/, (m) => `未知选项 ${m[1]}（见 --help）`],
  [/^Option '([^']*)' does not take an argument/, (m) => `选项 ${m[1]} 不带值`],
  [/^Option '([^']*)' argument missing/, (m) => `选项 ${m[1]} 缺少值`],
  [/^Unexpected argument '([^']*)'/, (m) => `多余的参数 ${m[1]}（选项写作 --名称 值）`],
];

export function errorText(err: unknown): { text: string; known: boolean } {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UsageError) return { text: message, known: true };
  const parseArgs = err instanceof TypeError && 'code' in err;
  const known = parseArgs || err instanceof ConfigError || err instanceof RangeError;
  for (const [pattern, zh] of KNOWN) {
    const m = pattern.exec(message);
    if (m !== null) return { text: `${zh(m)} / ${message}`, known };
  }
  if (err instanceof ConfigError) return { text: `配置不正确 / ${message}`, known };
  if (known) return { text: `输入不正确 / ${message}`, known };
  return { text: `出错了 / ${message}`, known };
}
