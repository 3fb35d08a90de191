/**
 * The naming rules Kubernetes and SPIFFE apply, so that a name Weft accepts is one the
 * cluster could have produced; `expected` completes a message "… is not <expected>".
 */
export interface NameRule {
  readonly test: (text: string) => boolean;
  readonly expected: string;
}

const labelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const isDnsLabel = (text: string): boolean => text.length <= 63 && labelPattern.test(text);
const isDnsSubdomain = (text: string): boolean => text.length <= 253 && text.split('.').every(isDnsLabel);
const qualifiedNamePattern = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const isQualifiedNamePart = (text: string): boolean => text.length <= 63 && qualifiedNamePattern.test(text);

/** Namespaces (RFC 1123 label). */
export const dnsLabel: NameRule = {
  test: isDnsLabel,
  expected: 'a DNS label (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)',
};

/** Pods, nodes, service accounts, policies (RFC 1123 subdomain). */
export const dnsSubdomain: NameRule = {
  test: isDnsSubdomain,
  expected: 'a DNS name (dot-separated DNS labels, lower case, at most 253 characters)',
};

/** Services (RFC 1035 label: must start with a letter). */
export const serviceName: NameRule = {
  test: (text) => isDnsLabel(text) && /^[a-z]/.test(text),
  expected: 'a service name (lower-case letters, digits and "-", starting with a letter, at most 63 characters)',
};

/** Service port names (IANA service name). */
export const portName: NameRule = {
  test: (text) => text.length <= 15 && isDnsLabel(text) && /[a-z]/.test(text) && !text.includes('--'),
  expected: 'a port name (at most 15 lower-case letters, digits and single "-", with at least one letter)',
};

export const labelKey: NameRule = {
  test: (text) => {
    const slash = text.indexOf('/');
    if (slash < 0) return isQualifiedNamePart(text);
    return isDnsSubdomain(text.slice(0, slash)) && isQualifiedNamePart(text.slice(slash + 1));
  },
  expected: 'a label key (an optional DNS-name prefix and "/", then at most 63 letters, digits, "-", "_" or ".")',
};

export const labelValue: NameRule = {
  test: (text) => text === '' || isQualifiedNamePart(text),
  expected: 'a label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)',
};

/** SPIFFE trust domains, kept to lower-case DNS names. */
export const trustDomain: NameRule = {
  test: isDnsSubdomain,
  expected: 'a trust domain (a lower-case DNS name such as cluster.local)',
};

const pathSegmentPattern = /^[A-Za-z0-9._-]+$/;
const isPathSegment = (text: string): boolean => pathSegmentPattern.test(text) && text !== '.' && text !== '..';

/**
 * A SPIFFE ID, or a prefix of one ending in '*' (spiffe://cluster.local/ns/shop/*).
 * The part before the '*' must be something a real ID can start with.
 */
export const spiffeIdPattern: NameRule = {
  test: (text) => {
    if (!text.startsWith('spiffe://')) return false;
    const body = text.slice('spiffe://'.length);
    const prefix = body.endsWith('*');
    const core = prefix ? body.slice(0, -1) : body;
    if (core.includes('*')) return false;
    const [domain = '', ...segments] = core.split('/');
    if (segments.length === 0) return prefix ? /^[a-z0-9.-]*$/.test(domain) : trustDomain.test(domain);
    if (!trustDomain.test(domain)) return false;
    const last = segments.pop() ?? '';
    return segments.every(isPathSegment) && (prefix ? last === '' || /^[A-Za-z0-9._-]+$/.test(last) : isPathSegment(last));
  },
  expected: 'a SPIFFE ID (spiffe://<trust domain>/<path>), optionally ending in "*" to match a prefix',
};
