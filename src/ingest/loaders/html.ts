/**
 * A deliberately small HTML reader for mammoth's output.
 *
 * mammoth writes a very regular, well-formed subset of HTML: lower-case tags, double-quoted
 * attributes, `<br />`/`<img />` as the only void elements, text escaped as &amp; &lt; &gt;
 * (&quot; in attributes). No comments, scripts or CDATA. A full HTML5 parser would be one more
 * dependency for no gain; this tokenizer is tolerant enough (stray closing tags are ignored,
 * unclosed ones are closed at the end) that malformed input degrades instead of throwing.
 */

export interface HtmlText {
  type: 'text';
  text: string;
}

export interface HtmlElement {
  type: 'element';
  tag: string;
  attrs: Record<string, string>;
  children: HtmlNode[];
}

export type HtmlNode = HtmlText | HtmlElement;

const VOID_TAGS = new Set(['br', 'img', 'hr', 'input', 'meta', 'link', 'col', 'wbr']);

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

/** Decodes the entities mammoth emits plus numeric ones; unknown entities are left as written. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body[0] === '#') {
      const cp = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      // Invalid or out-of-range code points would make String.fromCodePoint throw.
      return Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*(\/?)>/g;
const ATTR = /([^\s=>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

function parseAttrs(src: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of src.matchAll(ATTR)) {
    const name = m[1];
    if (!name) continue;
    attrs[name.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** Parses an HTML fragment into a forest of elements and (entity-decoded) text nodes. */
export function parseHtml(html: string): HtmlNode[] {
  const root: HtmlElement = { type: 'element', tag: '#root', attrs: {}, children: [] };
  const stack: HtmlElement[] = [root];
  const top = () => stack[stack.length - 1] ?? root;
  const pushText = (raw: string) => {
    if (raw) top().children.push({ type: 'text', text: decodeEntities(raw) });
  };

  let last = 0;
  for (const m of html.matchAll(TAG)) {
    const index = m.index ?? 0;
    pushText(html.slice(last, index));
    last = index + m[0].length;
    const closing = m[1] === '/';
    const tag = (m[2] ?? '').toLowerCase();
    if (closing) {
      // Pop to the matching open element; a closing tag with no open match is ignored.
      const at = stack.map((e) => e.tag).lastIndexOf(tag);
      if (at > 0) stack.length = at;
      continue;
    }
    const el: HtmlElement = { type: 'element', tag, attrs: parseAttrs(m[3] ?? ''), children: [] };
    top().children.push(el);
    if (m[4] !== '/' && !VOID_TAGS.has(tag)) stack.push(el);
  }
  pushText(html.slice(last));
  return root.children;
}
