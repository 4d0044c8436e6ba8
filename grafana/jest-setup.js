// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// jsdom has no IntersectionObserver or ResizeObserver; @grafana/ui's select menus use both.
class ObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
global.IntersectionObserver = global.IntersectionObserver ?? ObserverStub;
global.ResizeObserver = global.ResizeObserver ?? ObserverStub;

// i18next (behind @grafana/i18n) advertises itself on console.info once per process.
process.env.I18NEXT_NO_SUPPORT_NOTICE = 'true';
