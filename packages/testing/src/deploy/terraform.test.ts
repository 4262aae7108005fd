// deploy/terraform, checked without Terraform's providers (they cannot be
// downloaded here): every file parses (@cdktf/hcl2json, Terraform's own HCL
// parser compiled to WebAssembly), every reference to a variable, local,
// resource or data source resolves, and the values that must agree with the
// code do: the subscription's retention and ack deadline, the dead-letter
// attempts above the worker's own, the bucket's lifecycle above the dedup
// window, one service account per role with only its roles, Workload
// Identity bound to the Kubernetes service accounts of deploy/k8s, the loader
// job's command and settings, the Firestore exemptions file.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL interpolations ("${var.x}") are compared as the parser returns them
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SETTINGS } from '@eventkit/shared/config';
import { SUBSCRIPTION_RETENTION_SECONDS } from '@eventkit/shared/pubsub';
import { beforeAll, describe, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { envFor, REPO, read } from './code-facts.ts';

// biome-ignore lint/suspicious/noExplicitAny: HCL as JSON is free-form
type Obj = Record<string, any>;

// Loaded without its type declarations: they pull the DOM library into the whole
// program (/// <reference lib="dom" />), which breaks Node's fetch types elsewhere.
const { parse } = createRequire(import.meta.url)('@cdktf/hcl2json') as {
  parse(filename: string, contents: string): Promise<unknown>;
};

const DIR = 'deploy/terraform';
/** The subscriber's ack deadline (not exported by the package: read from its source). */
const DEFAULT_ACK_DEADLINE_SECONDS = Number(
  read('packages/shared/src/adapters/pubsub/admin.ts').match(
    /export const DEFAULT_ACK_DEADLINE_SECONDS = (\d+);/,
  )?.[1],
);
const files = readdirSync(join(REPO, DIR)).filter((f) => f.endsWith('.tf'));

/** Blocks of one kind merged over the module's files: resource → type → name → body. */
const module: { resource: Obj; data: Obj; variable: Obj; output: Obj; locals: Obj; terraform: Obj[] } = {
  resource: {},
  data: {},
  variable: {},
  output: {},
  locals: {},
  terraform: [],
};
let text = '';

const one = (blocks: Obj[] | undefined): Obj => {
  assert.ok(blocks && blocks.length === 1, 'one block');
  return blocks[0] as Obj;
};
const res = (type: string, name: string): Obj => one(module.resource[type]?.[name]);
const variableDefault = (name: string): unknown => one(module.variable[name]).default;

beforeAll(async () => {
  for (const f of files) {
    const content = read(join(DIR, f));
    text += `${content}\n`;
    const json = (await parse(f, content)) as Obj;
    for (const [type, byName] of Object.entries((json.resource ?? {}) as Obj)) {
      module.resource[type] = { ...module.resource[type], ...byName };
    }
    for (const [type, byName] of Object.entries((json.data ?? {}) as Obj)) {
      module.data[type] = { ...module.data[type], ...byName };
    }
    Object.assign(module.variable, json.variable ?? {});
    Object.assign(module.output, json.output ?? {});
    for (const l of json.locals ?? []) Object.assign(module.locals, l);
    module.terraform.push(...(json.terraform ?? []));
  }
});

describe('deploy/terraform', () => {
  test('every file parses, and the module declares what issue 11 asks for', () => {
    assert.ok(files.length >= 5, files.join(', '));
    assert.ok(module.terraform.length > 0, 'a terraform block with the provider');
    for (const [type, name] of [
      ['google_pubsub_topic', 'events'],
      ['google_pubsub_topic', 'dead_letter'],
      ['google_pubsub_subscription', 'workers'],
      ['google_storage_bucket', 'events'],
      ['google_bigquery_dataset', 'events'],
      ['google_service_account', 'role'],
      ['google_service_account_iam_member', 'workload_identity'],
      ['google_cloud_run_v2_job', 'loader'],
      ['google_cloud_scheduler_job', 'loader'],
      ['google_firestore_field', 'exemptions'],
      ['google_logging_metric', 'loader_run_failed'],
    ]) {
      assert.ok(module.resource[type as string]?.[name as string], `resource ${type}.${name}`);
    }
    for (const v of ['project_id', 'region', 'location', 'loader_image']) assert.ok(module.variable[v]);
    assert.ok(Object.keys(module.output).length >= 5);
  });

  // Terraform itself is on these machines (its providers cannot be downloaded, so no
  // validate or plan): the canonical formatting is checked where it exists.
  const fmt = spawnSync('terraform', ['fmt', '-check', '-diff', '-recursive', join(REPO, DIR)], {
    encoding: 'utf8',
  });
  const hasTerraform = !fmt.error;
  test(`terraform fmt -check (${hasTerraform ? 'terraform found' : 'terraform not installed: not run'})`, () => {
    if (hasTerraform) assert.equal(fmt.status, 0, `terraform fmt would change:\n${fmt.stdout}`);
  });

  test('every reference resolves: var., local., data. and resource addresses', () => {
    const missing: string[] = [];
    for (const m of text.matchAll(/\bvar\.([a-z_][a-z0-9_]*)/g)) {
      if (!module.variable[m[1] as string]) missing.push(m[0]);
    }
    for (const m of text.matchAll(/\blocal\.([a-z_][a-z0-9_]*)/g)) {
      if (!((m[1] as string) in module.locals)) missing.push(m[0]);
    }
    for (const m of text.matchAll(/\bdata\.([a-z0-9_]+)\.([a-z0-9_]+)/g)) {
      if (!module.data[m[1] as string]?.[m[2] as string]) missing.push(m[0]);
    }
    for (const m of text.matchAll(/(?<![.\w"])(google_[a-z0-9_]+)\.([a-z_][a-z0-9_]*)/g)) {
      if (!module.resource[m[1] as string]?.[m[2] as string]) missing.push(m[0]);
    }
    // role["x"]: only keys of the for_each set
    const roles = String(res('google_service_account', 'role').for_each);
    for (const m of text.matchAll(/google_service_account\.role\["([a-z]+)"\]/g)) {
      if (!roles.includes(`"${m[1]}"`)) missing.push(m[0]);
    }
    assert.deepEqual([...new Set(missing)], []);
    for (const file of text.matchAll(/file\("\$\{path\.module\}\/([^"]+)"\)/g)) {
      assert.ok(existsSync(join(REPO, DIR, file[1] as string)), `${file[1]} exists`);
    }
  });

  test('the subscription keeps messages 7 days (README outage table), with the code ack deadline, a retry policy and a dead-letter topic', () => {
    const sub = res('google_pubsub_subscription', 'workers');
    assert.equal(sub.message_retention_duration, '${var.message_retention_seconds}s');
    assert.equal(variableDefault('message_retention_seconds'), SUBSCRIPTION_RETENTION_SECONDS);
    assert.equal(SUBSCRIPTION_RETENTION_SECONDS, 7 * 24 * 3600);
    assert.match(read('README.md'), /\| Pub\/Sub subscription \| unacked messages, 7 days/);
    assert.equal(variableDefault('ack_deadline_seconds'), DEFAULT_ACK_DEADLINE_SECONDS);
    assert.ok(one(sub.retry_policy).minimum_backoff);
    assert.equal(one(sub.dead_letter_policy).dead_letter_topic, '${google_pubsub_topic.dead_letter.id}');
    assert.ok(
      Number(variableDefault('dead_letter_max_delivery_attempts')) >
        Number(SETTINGS.maxDeliveryAttempts.default),
      "Pub/Sub's dead-letter topic comes after the worker's own dead-lettering",
    );
    assert.equal(one(sub.expiration_policy).ttl, '', 'never expires');
  });

  test('the bucket deletes event files only after the dedup window and look-back', () => {
    const bucket = res('google_storage_bucket', 'events');
    const days = Number(variableDefault('event_file_retention_days'));
    const floor =
      Number(SETTINGS.dedupWindowDays.default) + Number(SETTINGS.warehouseLookbackHours.default) / 24;
    assert.ok(days > floor, `${days} > ${floor} days`);
    const del = bucket.lifecycle_rule.find((r: Obj) => one(r.action).type === 'Delete');
    assert.equal(one(del.condition).age, '${var.event_file_retention_days}');
    assert.deepEqual(one(del.condition).matches_prefix, ['events/', 'errors/']);
    assert.equal(bucket.uniform_bucket_level_access, true);
    const dataset = res('google_bigquery_dataset', 'events');
    assert.equal(dataset.location, '${var.location}');
  });

  test('least privilege: each role account holds only its roles', () => {
    const grants = new Map<string, Set<string>>();
    for (const [type, byName] of Object.entries(module.resource)) {
      if (!type.endsWith('_iam_member')) continue;
      for (const blocks of Object.values(byName as Obj)) {
        const b = one(blocks as Obj[]);
        const who = String(b.member).match(/google_service_account\.role\["([a-z]+)"\]/)?.[1];
        if (!who) continue;
        if (!grants.has(who)) grants.set(who, new Set());
        grants.get(who)?.add(`${type.replace(/^google_|_iam_member$/g, '')}:${b.role}`);
      }
    }
    const got = Object.fromEntries([...grants].map(([k, v]) => [k, [...v].sort()]));
    assert.deepEqual(got, {
      gateway: ['pubsub_topic:roles/pubsub.publisher'],
      worker: [
        'project:roles/datastore.user',
        'pubsub_subscription:roles/pubsub.subscriber',
        'storage_bucket:roles/storage.objectCreator',
        'storage_bucket:roles/storage.objectViewer',
      ],
      loader: [
        'bigquery_dataset:roles/bigquery.dataEditor',
        'project:roles/bigquery.jobUser',
        'storage_bucket:roles/storage.objectUser',
        'storage_bucket:roles/storage.objectViewer',
      ],
      scheduler: ['cloud_run_v2_job:roles/run.invoker'],
    });
    const state = res('google_storage_bucket_iam_member', 'loader_state');
    assert.match(one(state.condition).expression, /objects\/_eventkit\//, 'objectUser only on _eventkit/');
  });

  test('Workload Identity binds the Kubernetes service accounts deploy/k8s uses', () => {
    const wi = res('google_service_account_iam_member', 'workload_identity');
    assert.equal(wi.member, 'serviceAccount:${local.wi}[${var.gke_namespace}/eventkit-${each.key}]');
    const prod = parseAllDocuments(read('deploy/k8s/overlays/prod/kustomization.yaml'))[0]?.toJS() as Obj;
    assert.equal(variableDefault('gke_namespace'), prod.namespace);
    for (const role of ['gateway', 'worker']) {
      assert.ok(String(wi.for_each).includes(`"${role}"`));
      const ksa = parseAllDocuments(read(`deploy/k8s/base/${role}-serviceaccount.yaml`))[0]?.toJS() as Obj;
      assert.equal(ksa.metadata.name, `eventkit-${role}`);
      assert.match(
        ksa.metadata.annotations['iam.gke.io/gcp-service-account'],
        new RegExp(`^eventkit-${role}@`),
      );
    }
    assert.equal(variableDefault('name'), 'eventkit', 'account ids eventkit-<role>');
  });

  test('the loader job: run --once, one task at a time, a timeout, loader settings only, on a schedule', () => {
    const job = res('google_cloud_run_v2_job', 'loader');
    const t = one(job.template);
    assert.equal(t.parallelism, 1);
    assert.equal(t.task_count, 1);
    const task = one(t.template);
    assert.equal(task.timeout, '${var.loader_task_timeout_seconds}s');
    assert.ok(Number(variableDefault('loader_task_timeout_seconds')) >= 600);
    const c = one(task.containers);
    assert.deepEqual(c.args, ['run', '--once']);
    const known = envFor('loader');
    for (const e of c.env) assert.ok(known.has(e.name), `${e.name} is a loader setting`);
    const shutdown = Number(c.env.find((e: Obj) => e.name === 'EVENTKIT_SHUTDOWN_TIMEOUT')?.value);
    assert.ok(shutdown < 10, "within Cloud Run's 10 s between SIGTERM and SIGKILL");
    assert.equal(task.service_account, '${google_service_account.role["loader"].email}');
    const sched = res('google_cloud_scheduler_job', 'loader');
    assert.match(one(sched.http_target).uri, /:run$/);
  });

  test('the Firestore exemptions come from deploy/firestore/firestore.indexes.json', () => {
    assert.match(String(module.locals.firestore_exemptions), /firestore\.indexes\.json/);
    const json = JSON.parse(read('deploy/firestore/firestore.indexes.json'));
    assert.ok(json.fieldOverrides.length > 0);
    const field = res('google_firestore_field', 'exemptions');
    assert.equal(field.collection, '${each.value.collectionGroup}');
  });
});
