import { Faker, base, en } from '@faker-js/faker';
import type { PlaceholderFormat } from './fields.ts';

/**
 * Placeholders for restricted fields (secrets and direct identifiers).
 *
 * A placeholder is drawn from a seeded Faker and from nothing else: never from the source value, not
 * even its length, its prefix or its domain. So it reveals nothing about the record and costs no
 * privacy budget; the only thing it keeps is the field's shape, so that code reading the evaluation
 * set still sees an e-mail address where it expects one. E-mail addresses, URLs and IP addresses use
 * the ranges reserved for documentation (RFC 2606 example domains, RFC 5737 TEST-NET blocks), and
 * phone numbers the fictional 555-01xx range (NANPA), so that no placeholder reaches a real person.
 */

/** A Faker of its own, seeded (`faker.seed(n)`), with the English locale: the same seed gives the same placeholders. */
export function placeholderFaker(seed: number): Faker {
  const faker = new Faker({ locale: [en, base] });
  faker.seed(seed);
  return faker;
}

/** The RFC 5737 documentation networks. */
const TEST_NETS = ['192.0.2', '198.51.100', '203.0.113'];

/** One placeholder of the given format. It takes no source value, by design. */
export function placeholderFor(format: PlaceholderFormat, faker: Faker): string {
  switch (format) {
    case 'email':
      return faker.internet.exampleEmail().toLowerCase();
    case 'phone':
      return `+1-${faker.string.numeric({ length: 1, exclude: ['0', '1'] })}${faker.string.numeric(2)}-555-01${faker.string.numeric(2)}`;
    case 'api-key':
      return `sk-${faker.string.alphanumeric(40)}`;
    case 'credential':
    case 'password':
      return faker.internet.password({ length: 20 });
    case 'ip':
      return `${faker.helpers.arrayElement(TEST_NETS)}.${faker.number.int({ min: 1, max: 254 })}`;
    case 'name':
      return faker.person.fullName();
    case 'url':
      return `https://${faker.internet.domainWord()}.example.com/${faker.lorem.slug(2)}`;
    case 'uuid':
      return faker.string.uuid();
    case 'unknown':
      return `redacted-${faker.string.hexadecimal({ length: 12, casing: 'lower', prefix: '' })}`;
  }
}
