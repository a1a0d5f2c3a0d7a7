import path from 'node:path';
import type { Logger } from 'pino';
import { currentVersionDir } from '../index/store.js';
import type { StateStore } from '../state/index.js';

/**
 * New index versions across replicas. The corpus and the index live on a volume every replica
 * mounts (docs/replicas.md says why): a version is built once, by the replica that received the
 * upload or /reload, and switched in with the atomic CURRENT pointer. That replica announces the
 * version through the store (publish → PostgreSQL NOTIFY); every other replica hears it (LISTEN)
 * and loads it — `reload()` finds the corpus unchanged against the new manifest, builds nothing
 * and loads CURRENT — without a restart. A notification missed while the database connection was
 * down is caught by a slow comparison with CURRENT on the volume.
 */

export const INDEX_TOPIC = 'index';

export interface IndexAnnouncement {
  /** The version directory's name under the index dir (what CURRENT points at). */
  version: string;
  /** Which replica built it (its own announcements are ignored). */
  origin: string;
}

/** The part of ReportAssistant followed here. */
export interface VersionedKnowledge {
  readonly index: { dir: string };
  reload(): Promise<unknown>;
}

export interface FollowOptions {
  /** The shared index directory, for the catch-up check against CURRENT. */
  indexDir?: string;
  /** How often a locally built version is looked for (a property read). */
  announceCheckMs?: number;
  /** How often CURRENT on the volume is compared (missed notifications). */
  catchUpMs?: number;
  origin?: string;
}

export interface IndexFollower {
  /** The version this replica serves. */
  readonly version: string;
  /** Resolves once the loading triggered by the latest announcement (if any) is done. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const versionOf = (knowledge: VersionedKnowledge) => path.basename(knowledge.index.dir);

export function parseAnnouncement(payload: string): IndexAnnouncement | undefined {
  try {
    const v = JSON.parse(payload) as Partial<IndexAnnouncement>;
    if (typeof v.version !== 'string' || typeof v.origin !== 'string') return undefined;
    // A directory name only: the announcement never makes a replica read outside its index dir.
    if (!v.version || v.version.includes('/') || v.version.includes('..')) return undefined;
    return { version: v.version, origin: v.origin };
  } catch {
    return undefined;
  }
}

export async function followIndexVersions(store: StateStore, knowledge: VersionedKnowledge, logger: Logger, options: FollowOptions = {}): Promise<IndexFollower> {
  const origin = options.origin ?? `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const log = logger.child({ component: 'index-versions' });
  /** The last version this replica announced or learned: not announced again. */
  let known = versionOf(knowledge);
  let loading: Promise<void> = Promise.resolve();
  let closed = false;

  const loadNewer = (wanted: string, why: string) => {
    loading = loading.then(async () => {
      if (closed || versionOf(knowledge) === wanted) return;
      try {
        await knowledge.reload();
        known = versionOf(knowledge);
        log.info({ version: known, wanted, why }, 'index version loaded from the shared volume');
      } catch (err) {
        log.warn({ err, wanted }, 'announced index version could not be loaded; the previous one is still served');
      }
    });
  };

  const unsubscribe = await store.subscribe(INDEX_TOPIC, (payload) => {
    const a = parseAnnouncement(payload);
    if (!a || a.origin === origin) return;
    loadNewer(a.version, 'announced');
  });

  const announce = setInterval(() => {
    const current = versionOf(knowledge);
    if (current === known || closed) return;
    known = current;
    const message: IndexAnnouncement = { version: current, origin };
    store.publish(INDEX_TOPIC, JSON.stringify(message)).then(
      () => log.info({ version: current }, 'new index version announced to the other replicas'),
      (err: unknown) => log.warn({ err, version: current }, 'index version could not be announced; replicas catch up from CURRENT'),
    );
  }, options.announceCheckMs ?? 1000);
  announce.unref();

  const indexDir = options.indexDir;
  const catchUp = indexDir
    ? setInterval(() => {
        void currentVersionDir(indexDir).then((dir) => {
          if (dir && path.basename(dir) !== versionOf(knowledge)) loadNewer(path.basename(dir), 'CURRENT changed');
        });
      }, options.catchUpMs ?? 30_000)
    : undefined;
  catchUp?.unref();

  return {
    get version() {
      return versionOf(knowledge);
    },
    settled: () => loading,
    async close() {
      closed = true;
      clearInterval(announce);
      clearInterval(catchUp);
      await unsubscribe();
      await loading;
    },
  };
}
