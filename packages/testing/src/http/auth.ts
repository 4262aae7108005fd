// An OAuth2 client holding a fixed, never-expiring access token. The BigQuery
// client (through @google-cloud/common) always authorizes requests, even
// against a custom apiEndpoint; with this it never looks for real credentials
// or a metadata server.
import { OAuth2Client } from 'google-auth-library';

export const TEST_ACCESS_TOKEN = 'eventkit-test-token';

export function testAuthClient(token: string = TEST_ACCESS_TOKEN): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({
    access_token: token,
    token_type: 'Bearer',
    expiry_date: Date.now() + 10 * 365 * 86_400_000,
  });
  return client;
}
