// deploy/k8s and deploy/monitoring, checked without a cluster: both overlays are
// rendered with `kubectl kustomize` (kubectl ships with the Google Cloud SDK on
// these machines; where it is missing, the base's files are checked as written
// and the test says so), every resource is validated against the Kubernetes
// schemas of the kubernetes-models packages (GKE's BackendConfig included;
// the Managed Prometheus resources have no published schema and are checked
// field by field here), and the manifests are held to the code: variables are
// settings of the role, probe paths are routes the role serves on the port it
// listens on, the grace periods cover the drain, and the rest of issue 11.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type DeployRole, envFor, REPO, ROUTES, read } from './code-facts.ts';

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML
type Obj = Record<string, any>;

const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

function parseYaml(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
}

/** The overlay rendered by kustomize, or (without kubectl) the base's resource files as written. */
function render(dir: string): Obj[] {
  if (KUBECTL) {
    return parseYaml(execFileSync('kubectl', ['kustomize', join(REPO, dir)], { encoding: 'utf8' }));
  }
  const base = 'deploy/k8s/base';
  const files = [
    ...readdirSync(join(REPO, base))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .map((f) => join(base, f)),
    'deploy/monitoring/podmonitoring.yaml',
    'deploy/monitoring/rules.yaml',
  ];
  return files.flatMap((f) => parseYaml(read(f)));
}

const MODELS: Record<string, () => Promise<Obj>> = {
  v1: () => import('kubernetes-models/v1'),
  'apps/v1': () => import('kubernetes-models/apps/v1'),
  'batch/v1': () => import('kubernetes-models/batch/v1'),
  'policy/v1': () => import('kubernetes-models/policy/v1'),
  'autoscaling/v2': () => import('kubernetes-models/autoscaling/v2'),
  'networking.k8s.io/v1': () => import('kubernetes-models/networking.k8s.io/v1'),
  'storage.k8s.io/v1': () => import('kubernetes-models/storage.k8s.io/v1'),
  'cloud.google.com/v1': () => import('@kubernetes-models/gke/cloud.google.com/v1'),
};

/** Schema validation; throws with the first error. The Managed Prometheus kinds are checked by hand. */
async function validate(o: Obj): Promise<void> {
  const where = `${o.kind}/${o.metadata?.name}`;
  if (o.apiVersion === 'monitoring.googleapis.com/v1') return validateGmp(o, where);
  const load = MODELS[o.apiVersion];
  assert.ok(load, `${where}: no schema for ${o.apiVersion}`);
  const Model = (await load())[o.kind];
  assert.ok(Model, `${where}: no schema for ${o.apiVersion} ${o.kind}`);
  new Model(o).validate();
}

function validateGmp(o: Obj, where: string): void {
  if (o.kind === 'PodMonitoring') {
    assert.ok(Object.keys(o.spec?.selector?.matchLabels ?? {}).length > 0, `${where}: a selector`);
    assert.ok(Array.isArray(o.spec?.endpoints) && o.spec.endpoints.length > 0, `${where}: endpoints`);
    for (const e of o.spec.endpoints) {
      assert.ok(typeof e.port === 'string' || Number.isInteger(e.port), `${where}: endpoint port`);
      assert.match(e.interval ?? '30s', /^\d+[smh]$/, `${where}: interval`);
    }
    return;
  }
  assert.equal(o.kind, 'Rules', `${where}: a known monitoring.googleapis.com kind`);
  for (const g of o.spec?.groups ?? []) {
    assert.ok(g.name && Array.isArray(g.rules), `${where}: group ${g.name}`);
    for (const r of g.rules) {
      assert.ok((r.alert || r.record) && typeof r.expr === 'string', `${where}: rule ${r.alert ?? r.record}`);
      if (r.for) assert.match(r.for, /^\d+[smh]$/, `${where}: ${r.alert} for`);
    }
  }
}

const find = (objs: Obj[], kind: string, name: string) =>
  objs.find(
    (o) => o.kind === kind && (o.metadata?.name === name || o.metadata?.name?.startsWith(`${name}-`)),
  );

/** Variables a container gets: its env and the ConfigMaps it reads whole. */
function containerEnv(objs: Obj[], c: Obj): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const ref of c.envFrom ?? []) {
    const name = ref.configMapRef?.name;
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    assert.ok(cm, `ConfigMap ${name} exists`);
    for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, String(v));
  }
  for (const e of c.env ?? []) out.set(e.name, e.value);
  return out;
}

function checkEnv(role: DeployRole, env: Map<string, unknown>, where: string): void {
  const known = envFor(role);
  const unknown = [...env.keys()].filter((k) => !known.has(k));
  assert.deepEqual(unknown, [], `${where}: variables the ${role} does not read`);
}

/** The HTTP probe's path, and that its port is a port the container declares. */
function probe(c: Obj, kind: string): { path: string; port: number } {
  const p = c[kind]?.httpGet;
  assert.ok(p, `${c.name}: ${kind} is an HTTP probe`);
  const declared = (c.ports ?? []).find((x: Obj) => x.name === p.port || x.containerPort === p.port);
  assert.ok(declared, `${c.name}: ${kind} port ${p.port} is declared`);
  return { path: p.path, port: declared.containerPort };
}

const OVERLAYS = ['deploy/k8s/overlays/prod', 'deploy/k8s/overlays/dev'];

describe('deploy/k8s', () => {
  test(`kubectl kustomize is ${KUBECTL ? 'available: the overlays are rendered' : 'missing: checking the base files as written'}`, (t) => {
    if (!KUBECTL) void t.annotate('kubectl not found: overlays not rendered, patches not applied');
  });

  for (const overlay of OVERLAYS) {
    test(`${overlay}: every resource is valid against its schema`, async () => {
      const objs = render(overlay);
      assert.ok(objs.length >= 15, `rendered ${objs.length} resources`);
      for (const o of objs) await validate(o);
    });
  }

  const prod = render(OVERLAYS[0] as string);
  const sts = find(prod, 'StatefulSet', 'eventkit-gateway') as Obj;
  const gw = sts?.spec.template.spec.containers[0] as Obj;
  const gwEnv = containerEnv(prod, gw);
  const dep = find(prod, 'Deployment', 'eventkit-worker') as Obj;
  const wk = dep?.spec.template.spec.containers[0] as Obj;
  const wkEnv = containerEnv(prod, wk);

  test('every variable a role container gets is a setting of that role', () => {
    checkEnv('gateway', gwEnv, 'gateway');
    checkEnv('worker', wkEnv, 'worker');
    for (const overlay of OVERLAYS) {
      const objs = render(overlay);
      for (const [kind, name, role] of [
        ['StatefulSet', 'eventkit-gateway', 'gateway'],
        ['Deployment', 'eventkit-worker', 'worker'],
      ] as const) {
        const c = find(objs, kind, name)?.spec.template.spec.containers[0];
        checkEnv(role, containerEnv(objs, c), `${overlay} ${name}`);
      }
    }
    const job = parseYaml(read('deploy/k8s/jobs/gateway-wal-drain.yaml'))[0] as Obj;
    checkEnv('gateway', containerEnv([], job.spec.template.spec.containers[0]), 'wal drain job');
  });

  test('gateway: a StatefulSet with a claim per pod on a regional persistent disk, kept on scale-down', () => {
    assert.ok(sts);
    const claim = sts.spec.volumeClaimTemplates?.[0];
    assert.ok(claim);
    const mount = gw.volumeMounts.find((m: Obj) => m.name === claim.metadata.name);
    assert.equal(
      mount?.mountPath,
      gwEnv.get('EVENTKIT_DATA_DIR') ?? '/data',
      'the claim holds the data directory',
    );
    const sc = find(prod, 'StorageClass', claim.spec.storageClassName);
    assert.equal(sc?.parameters?.['replication-type'], 'regional-pd');
    assert.equal(sc?.reclaimPolicy, 'Retain');
    assert.equal(sts.spec.persistentVolumeClaimRetentionPolicy?.whenScaled, 'Retain');
    assert.equal(sts.spec.template.spec.securityContext.fsGroup, 1000, 'the disk is writable by uid 1000');
  });

  test('gateway: readiness /ready and liveness /health on the port it listens on', () => {
    const port = Number(gwEnv.get('EVENTKIT_PORT') ?? 8000);
    for (const [kind, path] of [
      ['readinessProbe', '/ready'],
      ['livenessProbe', '/health'],
    ] as const) {
      const p = probe(gw, kind);
      assert.equal(p.path, path);
      assert.equal(p.port, port);
      assert.ok(ROUTES.gateway.has(p.path));
    }
  });

  test('gateway: the grace period covers preStop, the drain and closing the clients', () => {
    const sleep = Number(gw.lifecycle?.preStop?.exec?.command?.at(-1));
    assert.ok(sleep > 0, 'a preStop sleep');
    const drain = Number(gwEnv.get('EVENTKIT_SHUTDOWN_TIMEOUT') ?? 25);
    const close = 5; // gateway compose.ts: the queue's publisher closes ≤ 3 s, the Pub/Sub client ≤ 2 s
    const grace = sts.spec.template.spec.terminationGracePeriodSeconds;
    assert.ok(grace > sleep + drain + close, `${grace} s > ${sleep} + ${drain} + ${close} s`);
  });

  test('gateway: PDB, HPA on CPU, Service, Ingress and a load-balancer health check on /ready', () => {
    const labels = sts.spec.template.metadata.labels;
    const selects = (sel: Obj) => Object.entries(sel).every(([k, v]) => labels[k] === v);
    assert.ok(selects(find(prod, 'PodDisruptionBudget', 'eventkit-gateway')?.spec.selector.matchLabels));
    const hpa = find(prod, 'HorizontalPodAutoscaler', 'eventkit-gateway') as Obj;
    assert.equal(hpa.spec.scaleTargetRef.kind, 'StatefulSet');
    assert.equal(hpa.spec.scaleTargetRef.name, sts.metadata.name);
    assert.ok(hpa.spec.metrics.some((m: Obj) => m.resource?.name === 'cpu'));
    const svc = find(prod, 'Service', 'eventkit-gateway') as Obj;
    assert.ok(selects(svc.spec.selector));
    assert.ok(find(prod, 'Service', sts.spec.serviceName), 'the headless service exists');
    const ingress = find(prod, 'Ingress', 'eventkit-gateway') as Obj;
    const backends = ingress.spec.rules.flatMap((r: Obj) =>
      r.http.paths.map((p: Obj) => p.backend.service.name),
    );
    assert.ok(backends.every((b: string) => b === svc.metadata.name));
    const paths = ingress.spec.rules.flatMap((r: Obj) => r.http.paths.map((p: Obj) => p.path));
    assert.ok(
      !paths.includes('/') && !paths.some((p: string) => p.startsWith('/metrics')),
      'ops routes stay inside',
    );
    const bc = JSON.parse(svc.metadata.annotations['cloud.google.com/backend-config']).default;
    const check = find(prod, 'BackendConfig', bc)?.spec.healthCheck;
    assert.equal(check.requestPath, '/ready');
    assert.equal(check.port, Number(gwEnv.get('EVENTKIT_PORT') ?? 8000));
  });

  test('worker: probes on its metrics port, grace over its drain, emptyDir /tmp, PDB, backlog autoscaling', () => {
    const port = Number(wkEnv.get('EVENTKIT_METRICS_PORT') ?? 9090);
    assert.equal(probe(wk, 'readinessProbe').path, '/ready');
    assert.equal(probe(wk, 'livenessProbe').path, '/health');
    assert.equal(probe(wk, 'readinessProbe').port, port);
    const spec = dep.spec.template.spec;
    const drain = Number(wkEnv.get('EVENTKIT_SHUTDOWN_TIMEOUT') ?? 25);
    assert.ok(spec.terminationGracePeriodSeconds > drain + 3, 'grace > drain + EXIT_GRACE_MS');
    const tmp = wk.volumeMounts.find((m: Obj) => m.mountPath === '/tmp');
    assert.ok(spec.volumes.find((v: Obj) => v.name === tmp?.name)?.emptyDir, '/tmp is an emptyDir');
    assert.ok(find(prod, 'PodDisruptionBudget', 'eventkit-worker'));
    const hpa = find(prod, 'HorizontalPodAutoscaler', 'eventkit-worker') as Obj;
    const ext = hpa.spec.metrics.find((m: Obj) => m.type === 'External')?.external;
    assert.equal(ext.metric.name, 'pubsub.googleapis.com|subscription|num_undelivered_messages');
    assert.equal(
      ext.metric.selector.matchLabels['resource.labels.subscription_id'],
      wkEnv.get('EVENTKIT_PUBSUB_SUBSCRIPTION'),
      'the HPA watches the subscription the workers read',
    );
  });

  test('Workload Identity: each role has its own Kubernetes service account bound to its Google one', () => {
    const accounts = new Set<string>();
    for (const spec of [sts.spec.template.spec, dep.spec.template.spec]) {
      const sa = find(prod, 'ServiceAccount', spec.serviceAccountName);
      const gsa = sa?.metadata.annotations?.['iam.gke.io/gcp-service-account'];
      assert.match(gsa ?? '', /^eventkit-(gateway|worker)@.+\.iam\.gserviceaccount\.com$/);
      accounts.add(gsa);
    }
    assert.equal(accounts.size, 2);
  });

  test('PodMonitoring scrapes /metrics on a port the gateway and the worker declare', () => {
    for (const [c, name, role] of [
      [gw, 'eventkit-gateway', 'gateway'],
      [wk, 'eventkit-worker', 'worker'],
    ] as const) {
      const pm = find(prod, 'PodMonitoring', name) as Obj;
      const endpoint = pm.spec.endpoints[0];
      assert.ok(c.ports.some((p: Obj) => p.name === endpoint.port || p.containerPort === endpoint.port));
      assert.ok(ROUTES[role].has(endpoint.path ?? '/metrics'));
    }
  });

  test('the dev overlay runs the emulators and points the roles at them', () => {
    const dev = render(OVERLAYS[1] as string);
    if (!KUBECTL) return; // the overlay's patches need kustomize
    const devSts = find(dev, 'StatefulSet', 'eventkit-gateway') as Obj;
    const env = containerEnv(dev, devSts.spec.template.spec.containers[0]);
    const host = String(env.get('PUBSUB_EMULATOR_HOST')).split(':')[0];
    assert.ok(find(dev, 'Service', host ?? ''), `${host} is a service of the overlay`);
    assert.ok(!find(dev, 'HorizontalPodAutoscaler', 'eventkit-worker'), 'no backlog autoscaler on emulators');
  });
});
