/** Minimal, strict flag parsing shared by the CLI commands (no positional magic beyond `rest`). */
export interface ParsedArgs {
  flags: Map<string, string | true>;
  rest: string[];
}

export function parseArgs(argv: readonly string[], valued: readonly string[]): ParsedArgs {
  const flags = new Map<string, string | true>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) flags.set(name, a.slice(eq + 1));
      else if (valued.includes(name)) {
        const v = argv[i + 1];
        if (v === undefined) throw new Error(`--${name} cần một giá trị / needs a value`);
        flags.set(name, v);
        i++;
      } else flags.set(name, true);
    } else rest.push(a);
  }
  return { flags, rest };
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
