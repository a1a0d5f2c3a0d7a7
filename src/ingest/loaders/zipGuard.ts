/**
 * Cheap safety checks on a ZIP container (DOCX) before anything inflates it.
 *
 * mammoth unzips with JSZip, which inflates every part it needs fully into memory and trusts the
 * sizes the archive declares. A hostile or broken upload (zip bomb, millions of entries, a
 * password-protected Word file that is not a ZIP at all) must be turned into a clear
 * `UnsupportedDocumentError` here instead of exhausting memory or surfacing JSZip internals.
 */
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { UnsupportedDocumentError } from './types.js';

export interface ZipLimits {
  /** Most entries a document may have; real DOCX files have a few dozen (plus images). */
  maxEntries: number;
  /** Sum of the declared uncompressed sizes of all entries. */
  maxTotalUncompressedBytes: number;
  /** Largest uncompressed/compressed ratio, per large entry and for the whole archive. */
  maxRatio: number;
  /**
   * Largest declared size of one XML part. mammoth builds a DOM of every XML part it reads, at
   * ten to twenty times the part's size: a 199 MB document.xml at 75:1 passed the other limits and
   * ran a 4 GB heap out. The text of a several-hundred-page report is a few MB of XML.
   */
  maxXmlPartBytes: number;
}

export interface ZipGuardOptions {
  /**
   * Also inflate every entry (discarding the bytes) and stop as soon as one produces more than it
   * declares. The central directory can lie: a bomb may declare 1 KB and inflate to gigabytes,
   * which only reading the data reveals. Costs one extra decompression of the archive, bounded by
   * the limits above. Off by default so that quick pre-checks (e.g. on upload) stay cheap; the
   * DOCX loader turns it on right before handing the bytes to mammoth.
   */
  verifyData?: boolean;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 2000,
  // Images are stored nearly uncompressed, so a 20 MB upload rarely declares much more than that.
  maxTotalUncompressedBytes: 100 * 1024 * 1024,
  maxRatio: 100,
  maxXmlPartBytes: 32 * 1024 * 1024,
};

/**
 * Ratios are only judged above this size: tiny XML parts (an empty header, a settings part full
 * of zeros) legitimately compress hundreds of times and can do no harm.
 */
const RATIO_MIN_BYTES = 1024 * 1024;

/** OLE2 compound file magic. Word saves password-protected .docx files in this container. */
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

export const REASON_CORRUPT_DOCX = 'tệp DOCX hỏng hoặc không phải DOCX / corrupt or not a DOCX file';
export const REASON_ENCRYPTED_DOCX = 'DOCX được bảo vệ bằng mật khẩu / encrypted (password-protected) DOCX';
export const REASON_ZIP_BOMB = 'tệp DOCX bất thường (có thể là "zip bomb") / suspicious DOCX (possible zip bomb)';

function bomb(detail: string): UnsupportedDocumentError {
  return new UnsupportedDocumentError(`${REASON_ZIP_BOMB}: ${detail}`);
}

function openZip(content: Buffer): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // lazyEntries: we pull entries one at a time and can stop at the first violation.
    // validateEntrySizes: yauzl then errors when inflated data exceeds the declared size.
    yauzl.fromBuffer(content, { lazyEntries: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) reject(new UnsupportedDocumentError(REASON_CORRUPT_DOCX, { cause: err }));
      else resolve(zip);
    });
  });
}

/** Reads all central-directory entries, checking limits as they come. */
function readEntries(zip: ZipFile, limits: ZipLimits): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    let total = 0;
    let done = false;
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      zip.close();
      reject(e);
    };
    zip.on('error', (err: unknown) => {
      // yauzl refuses "strong encryption" (flag bit 6) entries while reading the directory.
      const encrypted = err instanceof Error && /encrypt/i.test(err.message);
      fail(new UnsupportedDocumentError(encrypted ? REASON_ENCRYPTED_DOCX : REASON_CORRUPT_DOCX, { cause: err }));
    });
    zip.on('entry', (entry: Entry) => {
      if (done) return;
      if (entry.isEncrypted()) return fail(new UnsupportedDocumentError(REASON_ENCRYPTED_DOCX));
      total += entry.uncompressedSize;
      if (total > limits.maxTotalUncompressedBytes) {
        return fail(bomb(`tổng dung lượng giải nén khai báo vượt ${limits.maxTotalUncompressedBytes} byte / declared uncompressed size too large`));
      }
      if (/\.(xml|rels)$/i.test(entry.fileName) && entry.uncompressedSize > limits.maxXmlPartBytes) {
        return fail(bomb(`phần XML "${entry.fileName}" khai báo ${entry.uncompressedSize} byte (tối đa ${limits.maxXmlPartBytes}) / XML part too large`));
      }
      if (entry.uncompressedSize > RATIO_MIN_BYTES) {
        // A stored (uncompressed) entry has ratio 1; compressedSize 0 with data declared is absurd.
        const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
        if (ratio > limits.maxRatio) {
          return fail(bomb(`tỉ lệ nén ${Math.round(ratio)}:1 ở "${entry.fileName}" / compression ratio too high`));
        }
      }
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => {
      if (done) return;
      done = true;
      resolve(entries);
    });
    zip.readEntry();
  });
}

/** Inflates one entry into nowhere; yauzl aborts the stream if it outgrows its declared size. */
function drainEntry(zip: ZipFile, entry: Entry): Promise<void> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) {
        reject(err ?? new Error('no stream'));
        return;
      }
      stream.on('error', reject);
      stream.on('end', () => resolve());
      stream.resume();
    });
  });
}

/**
 * Throws `UnsupportedDocumentError` when `content` is not a ZIP (corrupt, or an encrypted Word
 * file), or when its central directory describes a zip bomb: too many entries, too many declared
 * uncompressed bytes, or an implausible compression ratio. Only the central directory is read
 * unless `options.verifyData` is set.
 */
export async function checkZipSafety(
  content: Buffer,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
  options: ZipGuardOptions = {},
): Promise<void> {
  if (content.length >= OLE_MAGIC.length && content.subarray(0, OLE_MAGIC.length).equals(OLE_MAGIC)) {
    throw new UnsupportedDocumentError(REASON_ENCRYPTED_DOCX);
  }
  // "PK\x03\x04" (or an empty archive's "PK\x05\x06"); anything else is not a DOCX. Checking up
  // front keeps random bytes that happen to contain an EOCD signature from parsing as a ZIP.
  if (content.length < 22 || content[0] !== 0x50 || content[1] !== 0x4b) {
    throw new UnsupportedDocumentError(REASON_CORRUPT_DOCX);
  }

  const zip = await openZip(content);
  // The end-of-central-directory record states the count before we walk anything.
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw bomb(`${zip.entryCount} mục (tối đa ${limits.maxEntries}) / too many entries`);
  }
  if (zip.entryCount === 0) {
    zip.close();
    throw new UnsupportedDocumentError(REASON_CORRUPT_DOCX);
  }
  const entries = await readEntries(zip, limits);

  const declared = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  if (declared > RATIO_MIN_BYTES && declared / content.length > limits.maxRatio) {
    zip.close();
    throw bomb(`tỉ lệ nén toàn tệp ${Math.round(declared / content.length)}:1 / overall compression ratio too high`);
  }

  if (options.verifyData) {
    try {
      for (const entry of entries) {
        if (entry.fileName.endsWith('/')) continue; // directory entry, no data
        await drainEntry(zip, entry);
      }
    } catch (err) {
      // yauzl's messages: "too many bytes in the stream" (a lying bomb: stopped as soon as the
      // data outgrew its declared size), "not enough bytes", bad local header, bad deflate data,
      // unsupported compression method. All mean the archive cannot be trusted to open.
      const msg = err instanceof Error ? err.message : String(err);
      if (/too many bytes/.test(msg)) throw bomb('dữ liệu giải nén lớn hơn kích thước khai báo / entry inflates beyond its declared size');
      throw new UnsupportedDocumentError(REASON_CORRUPT_DOCX, { cause: err });
    } finally {
      zip.close();
    }
  } else {
    zip.close();
  }
}
