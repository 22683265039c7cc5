import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { loadConfig } from "../../src/config.js";

/**
 * deploy/helm/rollcall rendered by the real Helm (deploy/helm/install-helm.sh installs it; CI does, and sets
 * ROLLCALL_REQUIRE_HELM=1 so that a missing Helm fails the run instead of skipping), each manifest validated against
 * the Kubernetes JSON schemas (npm kubernetes-models: types, required fields, enums; it does not refuse unknown
 * fields, so the fields that matter are asserted by path below), and the manifests checked against each other and
 * against the app's own configuration parser.
 */

const CHART = "deploy/helm/rollcall";
const HELM = process.env.ROLLCALL_HELM ?? "helm";
const exec = promisify(execFile);

function helmSkip(): string | undefined {
  if (!spawnSync(HELM, ["version", "--short"]).error) return undefined;
  const why = `Helm not found (${HELM}): install it with \`deploy/helm/install-helm.sh [dir]\` (or set ROLLCALL_HELM)`;
  if (process.env.ROLLCALL_REQUIRE_HELM === "1") throw new Error(why);
  return why;
}

// Minimal shapes of what the assertions read; the schemas check the rest.
interface Manifest { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: any; stringData?: Record<string, string> }
interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string; optional?: boolean } } }

describe("the Helm chart", { skip: helmSkip() }, () => {
  const dir = mkdtempSync(join(tmpdir(), "rollcall-helm-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const secretKey = randomBytes(32).toString("base64");
  const required = { baseUrl: "https://id.example.test", databaseUrl: "postgres://rollcall:pw@db.example.test:5432/rollcall", secretKey };

  let files = 0;
  const valuesFile = (values: object) => {
    const file = join(dir, `values-${files++}.json`);
    writeFileSync(file, JSON.stringify(values));
    return file;
  };
  const helm = (...args: string[]) => exec(HELM, args, { maxBuffer: 16 << 20 });

  /** `helm template`, each manifest validated against its Kubernetes schema, by kind. */
  async function render(values: object): Promise<Map<string, Manifest>> {
    const { stdout } = await helm("template", "rc", CHART, "--namespace", "identity", "-f", valuesFile(values));
    const manifests = new Map<string, Manifest>();
    for (const doc of parseAllDocuments(stdout)) {
      assert.deepEqual(doc.errors, []);
      const manifest = doc.toJS() as Manifest | null;
      if (!manifest) continue;
      const models = await import(`kubernetes-models/${manifest.apiVersion}`);
      assert.ok(models[manifest.kind], `no schema for ${manifest.apiVersion} ${manifest.kind}`);
      new models[manifest.kind](manifest).validate();
      assert.ok(!manifests.has(manifest.kind), `one ${manifest.kind}`);
      manifests.set(manifest.kind, manifest);
    }
    return manifests;
  }

  const contains = (labels: Record<string, string>, subset: Record<string, string>) =>
    Object.entries(subset).every(([k, v]) => labels[k] === v);

  it("passes `helm lint --strict`", async () => {
    const { stdout } = await helm("lint", "--strict", CHART, "-f", valuesFile(required));
    assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it("renders replicas on PostgreSQL: Deployment, Service, Secret and PodDisruptionBudget, consistent with each other", async () => {
    const m = await render(required);
    assert.deepEqual([...m.keys()].sort(), ["Deployment", "PodDisruptionBudget", "Secret", "Service"]);
    const deployment = m.get("Deployment")!.spec;
    const pod = deployment.template.spec;
    const podLabels = deployment.template.metadata.labels;
    const [container] = pod.containers;
    assert.equal(deployment.replicas, 2);
    assert.ok(contains(podLabels, deployment.selector.matchLabels), "the Deployment selects its own pods");
    assert.ok(contains(podLabels, m.get("Service")!.spec.selector), "the Service selects them");
    assert.ok(contains(podLabels, m.get("PodDisruptionBudget")!.spec.selector.matchLabels), "the PodDisruptionBudget covers them");
    assert.equal(m.get("PodDisruptionBudget")!.spec.maxUnavailable, 1);

    assert.deepEqual(container.ports, [{ name: "http", containerPort: 3000, protocol: "TCP" }]);
    assert.equal(m.get("Service")!.spec.ports[0].targetPort, "http");
    assert.deepEqual(container.readinessProbe.httpGet, { path: "/readyz", port: "http" });
    assert.deepEqual(container.livenessProbe.httpGet, { path: "/healthz", port: "http" });
    assert.deepEqual(container.startupProbe.httpGet, { path: "/healthz", port: "http" });
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory, "resource requests");

    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 1000, "the image's node user");
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(container.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    const tmp = container.volumeMounts.find((v: { mountPath: string }) => v.mountPath === "/tmp");
    assert.ok(pod.volumes.find((v: { name: string }) => v.name === tmp.name).emptyDir, "a writable /tmp on the read-only root");

    // The environment the pods get, Secret references resolved: what Rollcall's own configuration parser accepts.
    const secret = m.get("Secret")!;
    const env = Object.fromEntries((container.env as EnvVar[]).flatMap(({ name, value, valueFrom }) => {
      if (!valueFrom) return [[name, value]];
      assert.equal(valueFrom.secretKeyRef.name, secret.metadata.name);
      const fromSecret = secret.stringData![valueFrom.secretKeyRef.key];
      assert.ok(fromSecret !== undefined || valueFrom.secretKeyRef.optional, `${name}: the Secret has ${valueFrom.secretKeyRef.key}`);
      return fromSecret === undefined ? [] : [[name, fromSecret]];
    }));
    const { config, notes } = loadConfig(env);
    assert.deepEqual([config.baseUrl, config.databaseUrl, config.secretKey.toString("base64"), config.trustProxy, config.port],
      [required.baseUrl, required.databaseUrl, secretKey, 1, 3000]);
    assert.deepEqual(notes, [], "no start-up warning (an https BASE_URL behind the ingress has TRUST_PROXY set)");
    assert.match(m.get("Deployment")!.spec.template.metadata.annotations["checksum/secret"], /^[0-9a-f]{64}$/,
      "a changed Secret rolls the pods");
  });

  it("with an Ingress for BASE_URL's host and an existing Secret", async () => {
    const m = await render({
      baseUrl: "https://id.example.test", existingSecret: "rollcall-credentials", replicaCount: 3,
      ingress: { enabled: true, className: "nginx", tlsSecretName: "id-example-test-tls" },
    });
    assert.deepEqual([...m.keys()].sort(), ["Deployment", "Ingress", "PodDisruptionBudget", "Service"], "no Secret of the chart's");
    const pod = m.get("Deployment")!.spec.template;
    assert.equal(m.get("Deployment")!.spec.replicas, 3);
    const refs = (pod.spec.containers[0].env as EnvVar[]).filter((e) => e.valueFrom).map((e) => e.valueFrom!.secretKeyRef.name);
    assert.deepEqual(new Set(refs), new Set(["rollcall-credentials"]));
    assert.equal(pod.metadata.annotations?.["checksum/secret"], undefined);

    const ingress = m.get("Ingress")!.spec;
    assert.equal(ingress.ingressClassName, "nginx");
    assert.deepEqual(ingress.tls, [{ hosts: ["id.example.test"], secretName: "id-example-test-tls" }]);
    assert.equal(ingress.rules[0].host, "id.example.test");
    const backend = ingress.rules[0].http.paths[0].backend.service;
    assert.equal(backend.name, m.get("Service")!.metadata.name);
    assert.ok(m.get("Service")!.spec.ports.some((p: { name: string }) => p.name === backend.port.name));
  });

  it("refuses values that cannot work, and says which", async () => {
    const cases: [object, RegExp][] = [
      [{ ...required, baseUrl: "" }, /baseUrl is required/],
      [{ ...required, databaseUrl: "" }, /databaseUrl is required .* or name an existingSecret/],
      [{ ...required, secretKey: "" }, /secretKey is required \(openssl rand -base64 32\)/],
      [{ ...required, databaseUrl: "sqlite:/data/rollcall.sqlite" }, /\/databaseUrl.*does not match pattern/],
      [{ ...required, secretKey: "c2hvcnQ=" }, /\/secretKey.*does not match pattern/],
      [{ ...required, trustProxy: "true" }, /\/trustProxy/],
      [{ ...required, replicas: 3 }, /additional properties 'replicas' not allowed/],
    ];
    for (const [values, message] of cases) {
      await assert.rejects(helm("template", "rc", CHART, "-f", valuesFile(values)),
        (err: { stderr: string }) => message.test(err.stderr) || assert.fail(`${JSON.stringify(values)}: ${err.stderr}`));
    }
  });
});
