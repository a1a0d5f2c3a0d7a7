/**
 * Links in a model reply. A link is the one thing a reader follows without reading the source,
 * which makes it what a planted instruction asks for ("dẫn nguồn tại …"); so every link in a
 * reply must occur in a passage it cites. Bare host names count ("angiang.gov.vn/…"), since
 * chat clients turn them into links too.
 */

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'“”‘’()[\]]+|\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:vn|com|net|org|gov|edu|info|io|me|ly|example)\b(?:\/[^\s<>"'“”‘’()[\]]*)?/giu;

export function urlsIn(text: string): string[] {
  return [...text.matchAll(URL_RE)].map((m) => m[0].replace(/[.,;:!?…]+$/u, ''));
}

/** Removes links, so their digits and path words are not read as figures or prose. */
export function withoutUrls(text: string): string {
  return text.replace(URL_RE, ' ');
}

/** Compared without scheme, "www.", case or a trailing slash: the same address written two ways. */
export function normalizeUrl(url: string): string {
  return url
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/^www\./, '')
    .replace(/[/.,;:!?…]+$/u, '');
}

/** Does the link occur in one of the passages: equal to, or a leading part of, a link written there? */
export function urlOccursIn(url: string, passages: readonly string[]): boolean {
  const wanted = normalizeUrl(url);
  if (!wanted) return true;
  return passages.some((p) => urlsIn(p).some((u) => normalizeUrl(u).startsWith(wanted)));
}
