import { describe, expect, it } from 'vitest';
import { renderString, renderDeep, unknownTree, outputsWithUnknowns, isTrue, findUnknown } from '../../src/runner/template/template.js';
import { isUnknown } from '../../src/runner/types.js';

const data = { n: 3, flag: false, list: ['a', 'b'], obj: { k: 'v' }, s: 'Hello', empty: '' };

describe('templates', () => {
  it('keeps the type of a string that is exactly one expression', () => {
    expect(renderString('{{n}}', data)).toBe(3);
    expect(renderString('{{flag}}', data)).toBe(false);
    expect(renderString('{{list}}', data)).toEqual(['a', 'b']);
    expect(renderString('{{ obj }}', data)).toEqual({ k: 'v' });
    expect(renderString('{{eq n 3}}', data)).toBe(true);
  });

  it('interpolates anything else as a string, without HTML escaping', () => {
    expect(renderString('n={{n}}', data)).toBe('n=3');
    expect(renderString('<{{s}}> & "{{join list "/"}}"', data)).toBe('<Hello> & "a/b"');
  });

  it('has the helpers playbooks need', () => {
    expect(renderString('{{and (eq n 3) (not flag)}}', data)).toBe(true);
    expect(renderString('{{or flag empty}}', data)).toBe(false);
    expect(renderString('{{lower s}}-{{upper s}}', data)).toBe('hello-HELLO');
    expect(renderString('{{json obj}}', data)).toBe('{"k":"v"}');
    expect(renderString('{{default missing "fallback"}}', data)).toBe('fallback');
    expect(renderString('{{default s "fallback"}}', data)).toBe('Hello');
    expect(renderString('{{length list}}', data)).toBe(2);
    expect(renderString('{{contains list "b"}}', data)).toBe(true);
    expect(renderString('{{host "https://oidc.eks.us-west-2.amazonaws.com/id/ABC"}}', data)).toBe('oidc.eks.us-west-2.amazonaws.com/id/ABC');
  });

  it('refuses undefined variables, wherever they are used, naming the whole path', () => {
    expect(() => renderString('{{nope}}', data)).toThrow('undefined variable "nope"');
    expect(() => renderString('x {{obj.missing}}', data)).toThrow('undefined variable "obj.missing"');
    expect(() => renderString('{{eq nope 1}}', data)).toThrow('undefined variable "nope"');
    expect(() => renderString('{{join (array nope) ","}}', data)).toThrow('undefined variable "nope"');
  });

  it('refuses unknown helpers and says which exist', () => {
    expect(() => renderString('{{equals n 3}}', data)).toThrow(/unknown template helper "equals"/);
  });

  it('lets values known only after apply flow through as Unknown', () => {
    const d = { ...data, prod: unknownTree('prod'), reg: { outputs: outputsWithUnknowns({ id: 'x' }, 'reg') } };
    expect(isUnknown(renderString('{{prod.outputs.vpc_id}}', d))).toBe(true);
    const mixed = renderString('vpc-{{prod.outputs.vpc_id}}', d);
    expect(isUnknown(mixed)).toBe(true);
    expect(String(mixed)).toBe('(known after apply)');
    expect(isUnknown(renderString('{{eq prod.outputs.a "b"}}', d))).toBe(true);
    expect(renderString('{{reg.outputs.id}}', d)).toBe('x');
    expect(isUnknown(renderString('{{reg.outputs.later}}', d))).toBe(true);
    const deep = renderDeep({ a: ['{{n}}', { b: '{{prod.x}}' }] }, d);
    expect(findUnknown(deep)?.path).toEqual(['a', 1, 'b']);
  });

  it('tests conditions for truth the way when: and assert read them', () => {
    for (const v of [true, 'true', 'yes', 1, 'x', ['a'], { a: 1 }]) expect(isTrue(v)).toBe(true);
    for (const v of [false, 'false', 'no', '0', '', 0, null, undefined, [], {}]) expect(isTrue(v)).toBe(false);
  });
});

describe('coalesce', () => {
  it('picks the first present, non-empty value and tolerates absent paths', () => {
    const d = { a: { outputs: {} }, b: { outputs: { values: { x: 1 } } }, u: unknownTree('u') };
    expect(renderString('{{coalesce a.outputs.values b.outputs.values}}', d)).toEqual({ x: 1 });
    expect(renderString('{{coalesce a.outputs.values "" "fallback"}}', d)).toBe('fallback');
    expect(isUnknown(renderString('{{coalesce a.outputs.values u.outputs.values}}', d))).toBe(true);
  });
});

describe('ternary and compact', () => {
  it('build lists whose items depend on conditions', () => {
    const d = { knative: true, cognito: false, rec: { name: '*.x', type: 'CNAME' }, apex: { name: 'x', type: 'A' } };
    expect(renderString("{{compact (array (ternary knative rec '') (ternary cognito apex ''))}}", d)).toEqual([{ name: '*.x', type: 'CNAME' }]);
    expect(renderString("{{ternary cognito 'a' 'b'}}", d)).toBe('b');
    expect(isUnknown(renderString("{{ternary u 'a' 'b'}}", { u: unknownTree('u') }))).toBe(true);
  });
});

describe('absent values', () => {
  it('leaves out a parameter whose template yields no value', () => {
    expect(renderDeep({ a: '{{coalesce list}}', b: 1 }, { list: [] })).toEqual({ b: 1 });
    expect(renderDeep({ a: '{{coalesce list}}' }, { list: ['x'] })).toEqual({ a: ['x'] });
  });
});
