// What the firestore sink landed: the documents of streams/events/events in
// the emulator, whose ids are `{source}:{messageId}` (percent-encoded). A
// document id is unique, so Firestore cannot hold duplicates: each id counts once.
import { Firestore } from '@google-cloud/firestore';
import { SOURCE } from './load.ts';
import { PROJECT } from './pipeline.ts';

export async function firestoreLanded(host: string, prefix: string): Promise<Map<string, number>> {
  const db = new Firestore({ projectId: PROJECT, host, ssl: false });
  try {
    const snap = await db.collection('streams').doc('events').collection('events').select().get();
    const out = new Map<string, number>();
    for (const doc of snap.docs) {
      const [source, ...rest] = doc.id.split(':');
      const id = decodeURIComponent(rest.join(':'));
      if (source === SOURCE && id.startsWith(prefix)) out.set(id, 1);
    }
    return out;
  } finally {
    await db.terminate();
  }
}
