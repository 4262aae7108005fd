// What the firestore sink landed: the documents of streams/events/events in
// the emulator. Document ids are a hash of (source, messageId); the document
// keeps both as fields, which is what is counted here, per message id, so two
// documents for one event (e.g. a changed id scheme) would show as a duplicate.
import { Firestore } from '@google-cloud/firestore';
import { SOURCE } from './load.ts';

export async function firestoreLanded(
  projectId: string,
  host: string,
  prefix: string,
): Promise<Map<string, number>> {
  const db = new Firestore({ projectId, host, ssl: false });
  try {
    const snap = await db
      .collection('streams')
      .doc('events')
      .collection('events')
      .select('source', 'message_id')
      .get();
    const out = new Map<string, number>();
    for (const doc of snap.docs) {
      const source = String(doc.get('source'));
      const id = String(doc.get('message_id'));
      if (source === SOURCE && id.startsWith(prefix)) out.set(id, (out.get(id) ?? 0) + 1);
    }
    return out;
  } finally {
    await db.terminate();
  }
}
