import { fold } from '../ingest/normalize.js';
import type { ParsedDocument } from '../ingest/types.js';
import { placeMarkers } from '../ingest/places.js';

/**
 * Proper names found in the corpus. Places are names that follow an administrative marker
 * ("tỉnh An Giang", "xã Đăk Pét"); they drive the entity guard. All capitalised sequences are
 * kept too, so that "is this name anywhere in the reports?" can be answered without a search.
 */

// Markers that read the same without diacritics as a common word ("bản" / "Ban") are left out: names are matched folded here.
const MARKERS_FOLDED = placeMarkers()
  .filter((m) => m.foldedSafe && !m.english && m.words.join(' ') !== 'to dan pho' && m.words.join(' ') !== 'dang uy xa')
  .map((m) => m.words);

const WORD_RE = /[\p{L}\p{M}][\p{L}\p{M}'’]*/gu;

export interface NamesJSON {
  places: string[];
  names: string[];
}

function isCapitalized(w: string): boolean {
  return /^\p{Lu}/u.test(w) && !/^\p{Lu}{2,}$/u.test(w.replace(/['’]/g, ''));
}

export class NameIndex {
  private constructor(
    /** Folded place names, e.g. "an giang", "dak pet". */
    readonly places: Set<string>,
    /** Folded capitalised sequences and their sub-sequences (2–4 words). */
    readonly names: Set<string>,
  ) {}

  static fromJSON(json: NamesJSON): NameIndex {
    return new NameIndex(new Set(json.places), new Set(json.names));
  }

  toJSON(): NamesJSON {
    return { places: [...this.places].sort(), names: [...this.names].sort() };
  }

  static build(documents: readonly ParsedDocument[]): NameIndex {
    const places = new Set<string>();
    const names = new Set<string>();
    const scan = (text: string) => {
      const words = [...text.matchAll(WORD_RE)].map((m) => m[0]);
      const folded = words.map((w) => fold(w).replace(/['’]/g, ''));
      // Capitalised runs.
      let run: string[] = [];
      const flush = () => {
        for (let len = 2; len <= Math.min(4, run.length); len++)
          for (let i = 0; i + len <= run.length; i++) names.add(run.slice(i, i + len).join(' '));
        run = [];
      };
      words.forEach((w, i) => {
        if (isCapitalized(w)) run.push(folded[i]!);
        else flush();
      });
      flush();
      // Places right after a marker, within one clause ("xã Đăk Pét", not "thị trấn. Thực hiện").
      for (const clause of text.split(/[.,;:!?()[\]"“”\n]+/)) {
        const cw = [...clause.matchAll(WORD_RE)].map((m) => m[0]);
        const cf = cw.map((w) => fold(w).replace(/['’]/g, ''));
        for (let i = 0; i < cw.length; i++) {
          const marker = MARKERS_FOLDED.find((m) => m.every((t, k) => cf[i + k] === t));
          if (!marker) continue;
          const name: string[] = [];
          for (let j = i + marker.length; j < cw.length && name.length < 4 && isCapitalized(cw[j]!); j++) name.push(cf[j]!);
          // Vietnamese place names have two or more syllables; one capitalised word is usually a sentence start.
          if (name.length >= 2) places.add(name.join(' '));
        }
      }
    };
    for (const d of documents) {
      scan([d.meta.title, d.meta.issuer ?? '', d.meta.place ? `tỉnh ${d.meta.place}` : ''].join('. '));
      for (const c of d.chunks) scan(c.text);
    }
    // "tỉnh ủy An Giang Võ Thị Ánh Xuân" yields "an giang vo thi": keep only the shortest place
    // that is a prefix of a longer run, since the rest is a person's name or another word.
    for (const p of [...places]) {
      const words = p.split(' ');
      for (let len = 2; len < words.length; len++) {
        if (places.has(words.slice(0, len).join(' '))) {
          places.delete(p);
          break;
        }
      }
    }
    for (const p of places) names.add(p);
    return new NameIndex(places, names);
  }
}
