// docker-compose.yml, checked without a container engine: its emulator images
// cannot be pulled on the development machines, so what can go wrong is
// checked against the code instead: every variable a role service sets is a
// setting of that role, ports and probe paths are the ones the code serves,
// depends_on waits on services that have a healthcheck, the WAL is on a named
// volume, and the emulator addresses point at the emulator services' ports.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_PORTS, type DeployRole, envFor, REPO, ROUTES, read } from './code-facts.ts';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string | string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  tmpfs?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
}

const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;

/** The eventkit role a service runs, from the Dockerfile it builds. */
const roleOf = (s: Service): DeployRole | undefined =>
  s.build?.dockerfile.match(/^Dockerfile\.(gateway|worker|loader)$/)?.[1] as DeployRole | undefined;
const roleServices = Object.entries(services).filter(([, s]) => roleOf(s));

/** The port a role service serves on, from its own environment or the setting's default. */
function servedPort(role: DeployRole, s: Service): number | undefined {
  if (role === 'gateway') return Number(s.environment?.EVENTKIT_PORT ?? DEFAULT_PORTS.gateway);
  if (role === 'worker') return Number(s.environment?.EVENTKIT_METRICS_PORT ?? DEFAULT_PORTS.worker);
  return undefined;
}

/** http://127.0.0.1:PORT/PATH in a healthcheck command. */
function probed(s: Service): { port: number; path: string } | undefined {
  const m = s.healthcheck?.test.join(' ').match(/http:\/\/(?:127\.0\.0\.1|localhost):(\d+)(\/[a-z/]*)/);
  return m ? { port: Number(m[1]), path: m[2] ?? '' } : undefined;
}

describe('docker-compose.yml', () => {
  test('has the three roles, both emulators and a GCS emulator', () => {
    const roles = new Set(roleServices.map(([, s]) => roleOf(s)));
    assert.deepEqual([...roles].sort(), ['gateway', 'loader', 'worker']);
    const images = Object.values(services).map((s) => s.image ?? '');
    assert.ok(images.some((i) => i.startsWith('gcr.io/google.com/cloudsdktool/google-cloud-cli:emulators')));
    assert.ok(images.some((i) => i.startsWith('fsouza/fake-gcs-server:')));
    for (const [name, s] of roleServices) {
      assert.ok(existsSync(join(REPO, s.build?.dockerfile ?? '')), `${name}: its Dockerfile exists`);
    }
  });

  for (const [name, s] of roleServices) {
    const role = roleOf(s) as DeployRole;
    test(`${name}: every variable it sets is a ${role} setting of the settings table`, () => {
      const known = envFor(role);
      const unknown = Object.keys(s.environment ?? {}).filter((k) => !known.has(k));
      assert.deepEqual(unknown, [], `${name} sets variables the ${role} does not read`);
    });
  }

  test('every service has a healthcheck, and every depends_on waits for a healthy service', () => {
    for (const [name, s] of Object.entries(services)) {
      assert.ok(s.healthcheck?.test?.length, `${name} has a healthcheck`);
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        assert.ok(services[dep], `${name} depends on ${dep}, which exists`);
        assert.equal(condition, 'service_healthy', `${name} → ${dep}`);
      }
    }
  });

  test('gateway and worker probes use the port the service serves and a path the code serves (/ready)', () => {
    for (const [name, s] of roleServices) {
      const role = roleOf(s) as DeployRole;
      if (role === 'loader') continue;
      const port = servedPort(role, s);
      const probe = probed(s);
      assert.ok(probe, `${name}: the healthcheck is an HTTP probe`);
      assert.equal(probe.port, port, `${name}: probed on the port it serves`);
      assert.equal(probe.path, '/ready', `${name}: probes readiness`);
      assert.ok(ROUTES[role].has(probe.path), `${name}: ${probe.path} is served by the ${role}`);
      const published = (s.ports ?? []).map((p) => Number(String(p).split(':').at(-1)));
      assert.ok(published.includes(port as number), `${name}: publishes ${port}`);
    }
  });

  test('the Dockerfiles expose the default ports', () => {
    assert.match(read('Dockerfile.gateway'), new RegExp(`^EXPOSE ${DEFAULT_PORTS.gateway}$`, 'm'));
    assert.match(read('Dockerfile.worker'), new RegExp(`^EXPOSE ${DEFAULT_PORTS.worker}$`, 'm'));
  });

  test('the gateway WAL is on a named volume at its data directory', () => {
    const [, gateway] = roleServices.find(([, s]) => roleOf(s) === 'gateway') ?? [];
    const dataDir = gateway?.environment?.EVENTKIT_DATA_DIR ?? '/data';
    const mount = (gateway?.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === dataDir);
    assert.ok(mount, `a volume is mounted at ${dataDir}`);
    assert.ok(mount[0] && mount[0] in compose.volumes, `${mount[0]} is a named volume`);
  });

  test('emulator addresses name an emulator service and the port it listens on', () => {
    const listening = (svc: string) => {
      const command = [services[svc]?.command ?? ''].flat().join(' ');
      return command.match(/(?:--host-port=0\.0\.0\.0:|-port )(\d+)/)?.[1];
    };
    for (const [name, s] of roleServices) {
      for (const key of ['PUBSUB_EMULATOR_HOST', 'FIRESTORE_EMULATOR_HOST', 'STORAGE_EMULATOR_HOST']) {
        const value = s.environment?.[key];
        if (!value) continue;
        const m = value.replace(/^https?:\/\//, '').match(/^([a-z-]+):(\d+)$/);
        assert.ok(m, `${name} ${key}=${value} is host:port`);
        assert.ok(services[m[1] ?? ''], `${name} ${key}: ${m[1]} is a service`);
        assert.equal(listening(m[1] ?? ''), m[2], `${name} ${key}: ${m[1]} listens on ${m[2]}`);
      }
    }
  });

  test('the bucket the workers and loader use is the one the GCS emulator creates', () => {
    const created = [services['gcs-emulator']?.command ?? '']
      .flat()
      .join(' ')
      .match(/mkdir -p \/data\/(\S+)/)?.[1];
    for (const [name, s] of roleServices) {
      const bucket = s.environment?.GCP_GCS_BUCKET;
      if (bucket) assert.equal(bucket, created, `${name} uses the created bucket`);
    }
  });

  test('the loader reads the files a file-store worker writes: the same named volume at both data directories', () => {
    const dataVolume = (s: Service) => {
      const dir = s.environment?.EVENTKIT_DATA_DIR ?? '/data';
      return (s.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === dir)?.[0];
    };
    const [, loader] = roleServices.find(([, s]) => roleOf(s) === 'loader') ?? [];
    assert.equal(loader?.environment?.EVENTKIT_EVENT_STORE, 'file');
    const volume = dataVolume(loader as Service);
    assert.ok(volume && volume in compose.volumes, 'the loader keeps its files and DuckDB on a named volume');
    const writer = roleServices.find(
      ([, s]) =>
        roleOf(s) === 'worker' && s.environment?.EVENTKIT_EVENT_STORE === 'file' && dataVolume(s) === volume,
    );
    assert.ok(writer, `a file-store worker writes to ${volume}`);
  });

  test('workers each have their own subscription, and the gateway starts after them', () => {
    const workers = roleServices.filter(([, s]) => roleOf(s) === 'worker');
    const subs = workers.map(([, s]) => s.environment?.EVENTKIT_PUBSUB_SUBSCRIPTION);
    assert.equal(new Set(subs).size, workers.length);
    const [, gateway] = roleServices.find(([, s]) => roleOf(s) === 'gateway') ?? [];
    for (const [name] of workers) assert.ok(gateway?.depends_on?.[name], `gateway depends on ${name}`);
  });
});
