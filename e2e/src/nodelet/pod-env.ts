import type { CoreV1Api, V1Container, V1Pod } from '@kubernetes/client-node';

/** The service variables every container of a pod gets (asked of the API once per pod). */
export async function serviceEnv(api: CoreV1Api, namespace: string): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const services = [...(await api.listNamespacedService({ namespace })).items];
  if (namespace !== 'default') services.push(...(await api.listNamespacedService({ namespace: 'default', fieldSelector: 'metadata.name=kubernetes' })).items);
  for (const svc of services) {
    const ip = svc.spec?.clusterIP;
    const port = svc.spec?.ports?.[0]?.port;
    if (!ip || ip === 'None' || port === undefined) continue;
    const prefix = (svc.metadata?.name ?? '').toUpperCase().replace(/-/g, '_');
    env[`${prefix}_SERVICE_HOST`] = ip;
    env[`${prefix}_SERVICE_PORT`] = String(port);
  }
  return env;
}

/**
 * Kubernetes' dependent variables: `$(NAME)` becomes the value of NAME when it is defined
 * and stays as written when not; `$$` is a literal `$`. Used for env values (each sees
 * those before it), command and args.
 */
export function expandVariables(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    return Object.hasOwn(env, name) ? (env[name] ?? '') : match;
  });
}

/** The environment of a container: service variables, then its own env (which wins). */
export async function containerEnv(
  api: CoreV1Api,
  pod: V1Pod,
  container: V1Container,
  addresses: { podIp: string; hostIp: string; services: Record<string, string> },
): Promise<Record<string, string>> {
  const { podIp, hostIp } = addresses;
  const namespace = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOSTNAME: pod.metadata?.name ?? '', ...addresses.services };
  const fields: Record<string, string> = {
    'metadata.name': pod.metadata?.name ?? '',
    'metadata.namespace': namespace,
    'metadata.uid': pod.metadata?.uid ?? '',
    'spec.nodeName': pod.spec?.nodeName ?? '',
    'spec.serviceAccountName': pod.spec?.serviceAccountName ?? 'default',
    'status.podIP': podIp,
    'status.hostIP': hostIp,
  };
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (variable.value !== undefined) env[variable.name] = expandVariables(variable.value, env);
    else if (from?.fieldRef) env[variable.name] = fields[from.fieldRef.fieldPath] ?? '';
    else if (from?.configMapKeyRef) {
      const cm = await api.readNamespacedConfigMap({ name: from.configMapKeyRef.name ?? '', namespace });
      env[variable.name] = cm.data?.[from.configMapKeyRef.key] ?? '';
    } else if (from?.secretKeyRef) {
      const secret = await api.readNamespacedSecret({ name: from.secretKeyRef.name ?? '', namespace });
      env[variable.name] = Buffer.from(secret.data?.[from.secretKeyRef.key] ?? '', 'base64').toString();
    }
  }
  return env;
}
