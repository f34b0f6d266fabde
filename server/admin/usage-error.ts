/**
 * A command used wrongly (a missing or bad option): the admin tool says why and exits 2. Said in
 * Chinese first, then English: `new UsageError('住户 5 不存在', 'household 5 does not exist')` is
 * "住户 5 不存在 / household 5 does not exist" (a single text is taken as it is).
 */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(zh: string, en?: string) {
    super(en === undefined ? zh : `${zh} / ${en}`);
  }
}

/** "add-person 缺少 --phone / add-person needs --phone" */
export function missingOption(command: string, option: string): UsageError {
  return new UsageError(`${command} 缺少 --${option}`, `${command} needs --${option}`);
}

/** A line of the tool's output in both languages: "已添加住户 12 / household 12 added". */
export function both(zh: string, en: string): string {
  return `${zh} / ${en}\n`;
}
