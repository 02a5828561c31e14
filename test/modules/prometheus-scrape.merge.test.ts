// The pure parts of prometheus-scrape: merging jobs into prometheus.yml text and the local
// strategic merge that decides whether a patch would change an object.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mergeScrapeJobs, ScrapeConfigError } from '../../src/modules/prometheus/scrape-merge.js';
import { strategicMerge as smp } from '../../src/modules/prometheus/strategic-merge.js';
import { plainJson } from '../../src/modules/kit/index.js';

// fixtures are plain JSON; the function's parameter type is stricter than TypeScript infers for them
const strategicMerge = (kind: string, target: object, patch: object) => smp(kind, plainJson(target), plainJson(patch));
/** the job names of a prometheus.yml */
const names = (text: string) => (parse(text) as { scrape_configs: { job_name: string }[] }).scrape_configs.map((j) => j.job_name);

const job = (name: string, target = `${name}.kubeflow.svc:8080`) => ({ value: { job_name: name, static_configs: [{ targets: [target] }] } });

describe('mergeScrapeJobs', () => {
  it('appends in the list style of the document, keeping comments and the rest byte for byte', () => {
    const text = '# managed by the add-on\nglobal:\n  scrape_interval: 15s   # fast\nscrape_configs:\n- job_name: a\n  static_configs: [{targets: [\'a:1\']}]\n- job_name: b # second\n  static_configs: [{targets: [\'b:1\']}]\n';
    const r = mergeScrapeJobs(text, [job('c')]);
    expect(r.added).toEqual(['c']);
    expect(r.text.startsWith(text)).toBe(true);
    expect(r.text.slice(text.length)).toBe('- job_name: c\n  static_configs:\n    - targets:\n        - c.kubeflow.svc:8080\n');
    expect(names(r.text)).toEqual(['a', 'b', 'c']);
  });

  it('replaces a job in place and leaves its neighbours alone', () => {
    const text = 'scrape_configs:\n  - job_name: a\n    scrape_interval: 60s\n\n  - job_name: b\n    scrape_interval: 60s\n\n  - job_name: c # keep me\n    scrape_interval: 60s\n';
    const r = mergeScrapeJobs(text, [{ value: { job_name: 'b', scrape_interval: '30s' } }]);
    expect(r.replaced).toEqual(['b']);
    expect(r.text).toBe('scrape_configs:\n  - job_name: a\n    scrape_interval: 60s\n\n  - job_name: b\n    scrape_interval: 30s\n\n  - job_name: c # keep me\n    scrape_interval: 60s\n');
  });

  it('changes nothing when every job is already there with the same content', () => {
    const text = "scrape_configs:\n  - job_name: 'a'\n    static_configs:\n      - targets: ['a.kubeflow.svc:8080']\n";
    expect(mergeScrapeJobs(text, [job('a')])).toEqual({ text, added: [], replaced: [] });
  });

  it('falls back to the Document for a flow list or a missing scrape_configs', () => {
    const flow = mergeScrapeJobs('global: {}\nscrape_configs: [{job_name: a}]\n', [job('b')]);
    expect(names(flow.text)).toEqual(['a', 'b']);
    const none = mergeScrapeJobs('global:\n  scrape_interval: 5s # keep\n', [job('a')]);
    expect(none.text).toContain('# keep');
    expect(parse(none.text)).toEqual({ global: { scrape_interval: '5s' }, scrape_configs: [job('a').value] });
  });

  it('rejects documents it cannot merge into', () => {
    expect(() => mergeScrapeJobs('- a\n- b\n', [job('a')])).toThrow(ScrapeConfigError);
    expect(() => mergeScrapeJobs('scrape_configs: 3\n', [job('a')])).toThrow(/not a list/);
    expect(() => mergeScrapeJobs('a: [\n', [job('a')])).toThrow(/invalid YAML/);
  });
});

describe('strategicMerge', () => {
  const svc = { spec: { ports: [{ port: 443, protocol: 'TCP', targetPort: 443 }] } };
  it('merges a Service\'s ports by port and a container\'s by containerPort', () => {
    expect(strategicMerge('Service', svc, { spec: { ports: [{ port: 443, name: 'webhook' }, { port: 8080, name: 'metrics' }] } })).toEqual({
      spec: { ports: [{ port: 443, protocol: 'TCP', targetPort: 443, name: 'webhook' }, { port: 8080, name: 'metrics' }] },
    });
    const dep = { spec: { template: { spec: { containers: [{ name: 'manager', image: 'x', ports: [{ containerPort: 8081 }] }, { name: 'side', image: 'y' }] } } } };
    const out = strategicMerge('Deployment', dep, { spec: { template: { spec: { containers: [{ name: 'manager', ports: [{ containerPort: 8080, name: 'metrics' }] }] } } } });
    expect(out.spec).toEqual({ template: { spec: { containers: [{ name: 'manager', image: 'x', ports: [{ containerPort: 8081 }, { containerPort: 8080, name: 'metrics' }] }, { name: 'side', image: 'y' }] } } });
  });

  it('honours null, $patch: delete and $patch: replace; replaces lists without a merge key', () => {
    const dep = { metadata: { annotations: { a: '1', b: '2' } }, spec: { template: { spec: { containers: [{ name: 'm', args: ['--x'] }, { name: 'old' }] } } } };
    const out = strategicMerge('Deployment', dep, {
      metadata: { annotations: { a: null } },
      spec: { template: { spec: { containers: [{ name: 'old', $patch: 'delete' }, { name: 'm', args: ['--y'] }] } } },
    });
    expect(out).toEqual({ metadata: { annotations: { b: '2' } }, spec: { template: { spec: { containers: [{ name: 'm', args: ['--y'] }] } } } });
    expect(strategicMerge('Deployment', dep, { metadata: { annotations: { $patch: 'replace', c: '3' } } }).metadata).toEqual({ annotations: { c: '3' } });
  });
});
