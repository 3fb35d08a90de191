import type { GraphEdge, GraphNode, Health, Latency, LiveMessage, TrafficGraph, WorkloadDetail, WorkloadSample } from '@weft/api';
import { UiError } from './ui-error.js';

/**
 * Where the control plane's JSON becomes the contract's types: checked once on arrival,
 * so nothing deeper in the app meets a missing field or a string where a number belongs.
 * A malformed payload is a WEFT_UI_BAD_PAYLOAD error naming the field.
 */

type Json = Record<string, unknown>;

export function readLiveMessage(text: string): LiveMessage {
  const value = parse(text);
  const message = record(value, 'message');
  if (message.type === 'error') return { type: 'error', message: string(message.message, 'message.message') };
  if (message.type !== 'graph') throw bad(`message.type is ${JSON.stringify(message.type)}, not "graph" or "error"`);
  return { type: 'graph', graph: readTrafficGraph(message.graph), intervalSeconds: number(message.intervalSeconds, 'intervalSeconds') };
}

export function readTrafficGraph(value: unknown): TrafficGraph {
  const graph = record(value, 'graph');
  return {
    at: number(graph.at, 'graph.at'),
    windowSeconds: number(graph.windowSeconds, 'graph.windowSeconds'),
    namespaces: array(graph.namespaces, 'graph.namespaces').map((ns, i) => string(ns, `graph.namespaces[${i}]`)),
    nodes: array(graph.nodes, 'graph.nodes').map((node, i) => readNode(node, `graph.nodes[${i}]`)),
    edges: array(graph.edges, 'graph.edges').map((edge, i) => readEdge(edge, `graph.edges[${i}]`)),
  };
}

export function readWorkloadDetail(value: unknown): WorkloadDetail {
  const detail = record(value, 'detail');
  return {
    workload: readNode(detail.workload, 'workload'),
    stepSeconds: number(detail.stepSeconds, 'stepSeconds'),
    series: array(detail.series, 'series').map((sample, i) => readSample(sample, `series[${i}]`)),
    inbound: array(detail.inbound, 'inbound').map((edge, i) => readEdge(edge, `inbound[${i}]`)),
    outbound: array(detail.outbound, 'outbound').map((edge, i) => readEdge(edge, `outbound[${i}]`)),
  };
}

function readNode(value: unknown, where: string): GraphNode {
  const node = record(value, where);
  const kind = node.kind;
  if (kind !== 'workload' && kind !== 'outside') throw bad(`${where}.kind is ${JSON.stringify(kind)}`);
  return {
    id: string(node.id, `${where}.id`),
    namespace: string(node.namespace, `${where}.namespace`),
    name: string(node.name, `${where}.name`),
    kind,
    identities: array(node.identities, `${where}.identities`).map((id, i) => string(id, `${where}.identities[${i}]`)),
    health: health(node.health, `${where}.health`),
  };
}

function readEdge(value: unknown, where: string): GraphEdge {
  const edge = record(value, where);
  const protocol = edge.protocol;
  if (protocol !== 'http' && protocol !== 'tcp') throw bad(`${where}.protocol is ${JSON.stringify(protocol)}`);
  return {
    id: string(edge.id, `${where}.id`),
    source: string(edge.source, `${where}.source`),
    target: string(edge.target, `${where}.target`),
    protocol,
    requestsPerSecond: number(edge.requestsPerSecond, `${where}.requestsPerSecond`),
    successRate: nullable(edge.successRate, `${where}.successRate`, number),
    latency: nullable(edge.latency, `${where}.latency`, latency),
    bytesPerSecond: number(edge.bytesPerSecond, `${where}.bytesPerSecond`),
    connectionsPerSecond: number(edge.connectionsPerSecond, `${where}.connectionsPerSecond`),
    mtls: boolean(edge.mtls, `${where}.mtls`),
    health: health(edge.health, `${where}.health`),
  };
}

function readSample(value: unknown, where: string): WorkloadSample {
  const sample = record(value, where);
  return {
    at: number(sample.at, `${where}.at`),
    requestsPerSecond: number(sample.requestsPerSecond, `${where}.requestsPerSecond`),
    successRate: nullable(sample.successRate, `${where}.successRate`, number),
    latency: nullable(sample.latency, `${where}.latency`, latency),
  };
}

function latency(value: unknown, where: string): Latency {
  const l = record(value, where);
  return { p50: number(l.p50, `${where}.p50`), p95: number(l.p95, `${where}.p95`), p99: number(l.p99, `${where}.p99`) };
}

function health(value: unknown, where: string): Health {
  if (value === 'healthy' || value === 'degraded' || value === 'failing' || value === 'idle') return value;
  throw bad(`${where} is ${JSON.stringify(value)}, not healthy, degraded, failing or idle`);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UiError('WEFT_UI_BAD_PAYLOAD', 'the control plane sent something that is not JSON', { cause: error });
  }
}

function record(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${where} is not an object`);
  return value as Json;
}

function array(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw bad(`${where} is not an array`);
  return value as unknown[];
}

function string(value: unknown, where: string): string {
  if (typeof value !== 'string') throw bad(`${where} is not a string`);
  return value;
}

function number(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(`${where} is not a finite number`);
  return value;
}

function boolean(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw bad(`${where} is not a boolean`);
  return value;
}

function nullable<T>(value: unknown, where: string, read: (value: unknown, where: string) => T): T | null {
  return value === null || value === undefined ? null : read(value, where);
}

function bad(detail: string): UiError {
  return new UiError('WEFT_UI_BAD_PAYLOAD', `the control plane's answer does not follow the UI contract: ${detail}`);
}
