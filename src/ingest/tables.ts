import { fold } from './normalize.js';
import type { SourceTable } from './loaders/types.js';
import { escapeRegExp, ingestLexicon } from './vocabulary.js';

/**
 * Data tables as passages. A figure in a table cell means nothing without its row and column,
 * so every body row becomes one passage of "column header: cell" pairs, and a number keeps the
 * unit its column header names ("Tổng chiều dài (km)" + "86,5" → "Tổng chiều dài: 86,5 km").
 */

export interface TableRowPassage {
  /** The row's label: its first text cell ("Huyện Na Cô", "Tổng cộng"). */
  label: string;
  text: string;
}

export interface TablePassages {
  columns: string[];
  rows: TableRowPassage[];
}

const NUMBER = /^[-+−]?\d[\d.,]*$/u;
const compact = (s: string) => fold(s).replace(/[^a-z0-9]/g, '');

let unitPattern: RegExp | undefined;

/** "Tổng chiều dài (km)" → { label: "Tổng chiều dài", unit: "km" }; also "Diện tích, ha". */
export function splitHeaderUnit(header: string): { label: string; unit?: string } {
  if (!unitPattern) {
    const units = [...ingestLexicon().units].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
    unitPattern = new RegExp(`^(.*?\\S)\\s*(?:\\((${units})\\)|,\\s*(${units}))$`, 'iu');
  }
  const m = unitPattern.exec(header.trim());
  if (!m) return { label: header.trim() };
  return { label: m[1]!.trim(), unit: (m[2] ?? m[3])!.trim() };
}

function withUnit(value: string, unit: string | undefined): string {
  if (!unit || !NUMBER.test(value)) return value;
  return unit === '%' ? `${value}%` : `${value} ${unit}`;
}

/** A serial-number column ("TT", "STT"): numbering, not data. */
function isSerialColumn(table: SourceTable, col: number): boolean {
  const header = compact(table.header[col] ?? '');
  if (!ingestLexicon().tableSerialHeadersFolded.includes(header)) return false;
  return table.rows.every((r) => !r[col] || /^([IVXLC]+|\d+[a-z]?|[a-zđ])[.)]?$/iu.test(r[col]!.trim()));
}

export function tablePassages(table: SourceTable): TablePassages {
  const width = table.header.length;
  const serial = new Set(Array.from({ length: width }, (_, c) => c).filter((c) => isSerialColumn(table, c)));
  const dataCols = Array.from({ length: width }, (_, c) => c).filter((c) => !serial.has(c));
  const heads = table.header.map(splitHeaderUnit);
  const rows: TableRowPassage[] = table.rows.map((row, r) => {
    // The label is the first text cell; a total row often has it merged into the serial column.
    const label =
      dataCols.map((c) => row[c] ?? '').find((v) => v && !NUMBER.test(v)) ??
      row.find((v) => v && !NUMBER.test(v)) ??
      `Dòng ${r + 1}`;
    const pairs: string[] = [];
    for (const c of dataCols) {
      const value = (row[c] ?? '').trim();
      if (!value) continue;
      const head = heads[c]!;
      const name = head.label || `Cột ${c + 1}`;
      pairs.push(`${name}: ${withUnit(value, head.unit)}`);
    }
    if (!dataCols.some((c) => row[c]) && label) pairs.unshift(label);
    return { label: label.trim(), text: pairs.join('; ') };
  });
  return { columns: dataCols.map((c) => table.header[c] ?? ''), rows: rows.filter((r) => r.text) };
}

/** "Bảng 2: …", "Biểu số 01 …", "Phụ lục 3": a line that announces a table. */
export function isCaptionLine(text: string): boolean {
  const prefixes = ingestLexicon().tableCaptionPrefixes.map((p) => fold(p));
  const f = fold(text.trim());
  return prefixes.some((p) => f === p || f.startsWith(`${p} `) || f.startsWith(`${p}:`));
}
