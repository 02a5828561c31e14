// DNS names as people write them and as Route 53 returns them ("\052.platform.example.com." for
// "*.platform.example.com", any case, with or without the trailing dot) compared as one form.

/** lower case, no trailing dot, Route 53's \ooo octal escapes decoded ("\052" -> "*") */
export function plainDnsName(name: string): string {
  const decoded = name.trim().replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  return decoded.toLowerCase().replace(/\.$/, '');
}

export const sameDnsName = (a: string, b: string): boolean => plainDnsName(a) === plainDnsName(b);

/** the ELB host an alias or CNAME points at, without the "dualstack." prefix Route 53 aliases add */
export const targetHost = (value: string): string => plainDnsName(value).replace(/^dualstack\./, '');

/** is `name` the zone apex or a name inside the zone? */
export function inZone(name: string, zone: string): boolean {
  const n = plainDnsName(name);
  const z = plainDnsName(zone);
  return n === z || n.endsWith(`.${z}`);
}
