/**
 * What CloudFormation would create from a synthesized template for given parameter values: the
 * conditions evaluated (parameter defaults where no value is given), resources and outputs whose
 * condition is false dropped, `Fn::If` replaced by its chosen branch, `AWS::NoValue` removed and
 * references to parameters replaced by their values (other references stay as they are).
 * Enough of CloudFormation's semantics to check which parameter values create what; like
 * CloudFormation, it refuses a template that references or depends on a resource not created.
 */
import type { Template } from 'aws-cdk-lib/assertions';

export interface DeployedResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

export interface Deployed {
  readonly resources: Readonly<Record<string, DeployedResource>>;
  readonly outputs: Readonly<Record<string, unknown>>;
}

const PSEUDO_PARAMETERS: Readonly<Record<string, string>> = { 'AWS::Region': 'us-east-1' };
const NO_VALUE = Symbol('AWS::NoValue');

type Json = Record<string, unknown>;

export const deployed = (template: Template, parameters: Readonly<Record<string, string>>): Deployed => {
  const json = template.toJSON() as {
    Parameters?: Record<string, { Default?: unknown }>;
    Conditions?: Record<string, unknown>;
    Resources?: Record<string, { Type: string; Properties?: Json; Condition?: string; DependsOn?: string[] }>;
    Outputs?: Record<string, { Value: unknown; Condition?: string }>;
  };
  for (const name of Object.keys(parameters))
    if (json.Parameters?.[name] === undefined) throw new Error(`the template has no parameter ${name}`);
  const parameterValue = (name: string): unknown =>
    parameters[name] ?? PSEUDO_PARAMETERS[name] ?? json.Parameters?.[name]?.Default;

  const condition = (name: string): boolean => evaluate(json.Conditions?.[name]);
  const evaluate = (expression: unknown): boolean => {
    const [[fn, args]] = Object.entries(expression as Json) as [[string, unknown[]]];
    switch (fn) {
      case 'Fn::Equals':
        return String(value(args[0])) === String(value(args[1]));
      case 'Fn::Or':
        return args.some(evaluate);
      case 'Fn::And':
        return args.every(evaluate);
      case 'Fn::Not':
        return !evaluate(args[0]);
      case 'Condition':
        return condition(args as unknown as string);
      default:
        throw new Error(`unsupported condition function ${fn}`);
    }
  };
  const value = (node: unknown): unknown => {
    if (typeof node === 'object' && node !== null && 'Ref' in node) {
      const name = (node as { Ref: string }).Ref;
      return json.Parameters?.[name] !== undefined || name in PSEUDO_PARAMETERS ? parameterValue(name) : node;
    }
    return node;
  };
  /** Properties with every `Fn::If` decided and every `AWS::NoValue` removed. */
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve).filter((item) => item !== NO_VALUE);
    if (typeof node !== 'object' || node === null) return node;
    const entries = Object.entries(node);
    if (entries.length === 1) {
      const [[key, args]] = entries as [[string, unknown]];
      if (key === 'Ref' && args === 'AWS::NoValue') return NO_VALUE;
      if (key === 'Ref') return value(node);
      if (key === 'Fn::If') {
        const [name, yes, no] = args as [string, unknown, unknown];
        return resolve(condition(name) ? yes : no);
      }
    }
    const resolved: Json = {};
    for (const [key, child] of entries) {
      const result = resolve(child);
      if (result !== NO_VALUE) resolved[key] = result;
    }
    return resolved;
  };

  const resources: Record<string, DeployedResource> = {};
  for (const [id, resource] of Object.entries(json.Resources ?? {}))
    if (resource.Condition === undefined || condition(resource.Condition))
      resources[id] = { Type: resource.Type, Properties: resolve(resource.Properties ?? {}) as Json };
  const outputs: Record<string, unknown> = {};
  for (const [id, output] of Object.entries(json.Outputs ?? {}))
    if (output.Condition === undefined || condition(output.Condition)) outputs[id] = resolve(output.Value);

  const unresolved = (where: string, node: unknown): void => {
    if (Array.isArray(node)) for (const item of node) unresolved(where, item);
    if (typeof node !== 'object' || node === null) return;
    for (const [key, child] of Object.entries(node)) {
      const target = key === 'Ref' ? child : key === 'Fn::GetAtt' ? (child as string[])[0] : undefined;
      if (
        typeof target === 'string' &&
        !target.startsWith('AWS::') &&
        json.Parameters?.[target] === undefined &&
        resources[target] === undefined
      )
        throw new Error(
          `${where} references ${target}, which is not created for ${JSON.stringify(parameters)}`,
        );
      unresolved(where, child);
    }
  };
  for (const [id, resource] of Object.entries(resources)) {
    unresolved(id, resource.Properties);
    for (const dependency of json.Resources?.[id]?.DependsOn ?? [])
      if (resources[dependency] === undefined)
        throw new Error(
          `${id} depends on ${dependency}, which is not created for ${JSON.stringify(parameters)}`,
        );
  }
  for (const [id, value] of Object.entries(outputs)) unresolved(`output ${id}`, value);
  return { resources, outputs };
};

/** The deployed resources of one type, in template order. */
export const ofType = (result: Deployed, type: string): DeployedResource[] =>
  Object.values(result.resources).filter((resource) => resource.Type === type);
