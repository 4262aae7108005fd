// What `make cloud-check` needs before it touches a real project, checked
// without creating anything: the variables that name the project and the
// bucket, no emulator variable that would quietly redirect a client, and
// application-default credentials that yield a token.
import { GoogleAuth } from 'google-auth-library';

export interface CloudCheckTarget {
  projectId: string;
  bucket: string;
  /** GCP_BIGQUERY_LOCATION when set; otherwise the bucket's own location is used. */
  location: string | undefined;
}

export class PreflightError extends Error {
  override readonly name = 'PreflightError';
}

const EMULATOR_VARIABLES = ['PUBSUB_EMULATOR_HOST', 'FIRESTORE_EMULATOR_HOST', 'STORAGE_EMULATOR_HOST'];

/** The target named by `env`, or a PreflightError saying exactly what to set. */
export function targetFromEnv(env: NodeJS.ProcessEnv): CloudCheckTarget {
  const missing = ['GCP_PROJECT_ID', 'GCP_GCS_BUCKET'].filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new PreflightError(
      `cloud-check runs against a real Google Cloud project and needs ${missing.join(' and ')} ` +
        '(GCP_PROJECT_ID: the project; GCP_GCS_BUCKET: an existing bucket the check may write a ' +
        'uniquely named prefix into and delete it again), plus application-default credentials.',
    );
  }
  const emulated = EMULATOR_VARIABLES.filter((name) => env[name]);
  if (emulated.length > 0) {
    throw new PreflightError(
      `${emulated.join(', ')} ${emulated.length > 1 ? 'are' : 'is'} set: cloud-check checks the real services; unset ${emulated.length > 1 ? 'them' : 'it'} (the emulators are what make test uses).`,
    );
  }
  return {
    projectId: String(env.GCP_PROJECT_ID),
    bucket: String(env.GCP_GCS_BUCKET),
    location: env.GCP_BIGQUERY_LOCATION || undefined,
  };
}

/** Resolves when application-default credentials give an access token; a PreflightError otherwise. */
export async function checkCredentials(): Promise<void> {
  try {
    const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
    const token = await auth.getAccessToken();
    if (!token) throw new Error('no access token');
  } catch (err) {
    throw new PreflightError(
      'no usable application-default credentials ' +
        `(${(err as Error).message.split('\n')[0]}): run \`gcloud auth application-default login\`, ` +
        'or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file.',
    );
  }
}
