import { describe, expect, it } from 'vitest';
import { formatDate, formatMoney, isZero } from './format';

describe('formatMoney', () => {
  it('formats French amounts with narrow no-break spaces and a comma', () => {
    expect(formatMoney('1234567.5', 'EUR', 'fr')).toBe('1\u202f234\u202f567,50\u00a0€');
  });
  it('formats English amounts with the symbol first', () => {
    expect(formatMoney('1234.56', 'GBP', 'en')).toBe('£1,234.56');
    expect(formatMoney('-0.05', 'EUR', 'en')).toBe('-€0.05');
  });
  it('keeps every digit of exact decimals', () => {
    expect(formatMoney('0.10', 'EUR', 'en')).toBe('€0.10');
    expect(formatMoney('12.345', 'TND', 'fr')).toBe('12,345\u00a0TND');
    expect(formatMoney('1500', 'JPY', 'en')).toBe('1,500\u00a0JPY');
  });
});

describe('formatDate', () => {
  it('formats per language', () => {
    expect(formatDate('2026-11-02', 'fr')).toBe('02/11/2026');
    expect(formatDate('2026-11-02', 'en')).toBe('2 Nov 2026');
    expect(formatDate('garbage', 'en')).toBe('garbage');
  });
});

describe('isZero', () => {
  it('recognises zero amounts only', () => {
    expect(isZero('0.00')).toBe(true);
    expect(isZero('0')).toBe(true);
    expect(isZero('0.01')).toBe(false);
    expect(isZero('10')).toBe(false);
  });
});

describe('inputDate', () => {
  it('uses the format the user types', async () => {
    const { inputDate } = await import('./format');
    expect(inputDate('2026-11-02', 'fr')).toBe('02/11/2026');
    expect(inputDate('2026-11-02', 'en')).toBe('2026-11-02');
  });
});

import { inputAmount, inputRate, parseTypedDate } from './format';

describe('form values in the user writing', () => {
  it('shows amounts to edit grouped, with the decimal comma in French', () => {
    expect(inputAmount('9695.05', 'fr')).toBe('9 695,05');
    expect(inputAmount('9695.05', 'en')).toBe('9,695.05');
    expect(inputAmount('1000000', 'fr')).toBe('1 000 000');
    expect(inputAmount('-12.5', 'fr')).toBe('-12,5');
    expect(inputAmount('', 'fr')).toBe('');
    expect(inputRate('2.15', 'fr')).toBe('2,15');
  });
  it('reads a typed date in either writing', () => {
    expect(parseTypedDate('1/12/2026')).toBe('2026-12-01');
    expect(parseTypedDate(' 2026-12-01 ')).toBe('2026-12-01');
    expect(parseTypedDate('12.01.2026')).toBeNull();
  });
});

import { formatCount } from './format';

describe('formatCount', () => {
  it('groups thousands as each language writes them', () => {
    expect(formatCount(94002, 'fr')).toBe('94\u202f002');
    expect(formatCount(1000000, 'en')).toBe('1,000,000');
    expect(formatCount(999, 'fr')).toBe('999');
    expect(formatCount(0, 'en')).toBe('0');
  });
});
