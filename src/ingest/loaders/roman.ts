/** Roman numerals as section numbers use them (1–3999, subtractive forms). */
const NUMERALS: readonly { value: number; symbol: string }[] = [
  { value: 1000, symbol: 'M' }, { value: 900, symbol: 'CM' }, { value: 500, symbol: 'D' }, { value: 400, symbol: 'CD' },
  { value: 100, symbol: 'C' }, { value: 90, symbol: 'XC' }, { value: 50, symbol: 'L' }, { value: 40, symbol: 'XL' },
  { value: 10, symbol: 'X' }, { value: 9, symbol: 'IX' }, { value: 5, symbol: 'V' }, { value: 4, symbol: 'IV' }, { value: 1, symbol: 'I' },
];

export function romanNumeral(n: number): string {
  let rest = Math.max(0, Math.floor(n));
  let out = '';
  for (const { value, symbol } of NUMERALS) {
    while (rest >= value) {
      out += symbol;
      rest -= value;
    }
  }
  return out;
}

/** The value of a well-formed numeral ("XIV" → 14); undefined for "IIII", "VX" or "". */
export function romanValue(s: string): number | undefined {
  const upper = s.toUpperCase();
  let rest = upper;
  let value = 0;
  for (const { value: v, symbol } of NUMERALS) {
    while (rest.startsWith(symbol)) {
      value += v;
      rest = rest.slice(symbol.length);
    }
  }
  return rest === '' && value > 0 && romanNumeral(value) === upper ? value : undefined;
}
