/**
 * `versioned-sessions/agents` through the Microsoft 365 Agents SDK's real machinery (AgentApplication
 * turn state, ConversationState, TurnContext on the SDK's test adapter), on SQLite and PostgreSQL, plus
 * the storage cases Microsoft holds its own stores to.
 */
import {
  AgentApplication,
  ConversationState,
  type TurnState,
  type Storage,
  type StoreItems,
} from '@microsoft/agents-hosting';
import { describe, expect, it } from 'vitest';
import { VersionedAgentStorage } from '../../src/agents/index.js';
import { ConcurrencyError, InvalidArgumentError, isConcurrencyError } from '../../src/index.js';
import { runTurn } from '../../docs/examples/frameworks/agents-turn-retry.js';
import { TestAdapter } from './agents-test-adapter.js';
import { CONCURRENT_UPDATES, describeOnDatabases, handlerPause, settle } from './replicas.js';

// The storage is typed by the shape both SDKs call; the Agents SDK's own interface must accept it.
const asAgentsStorage = (storage: VersionedAgentStorage): Storage => storage;

/** The pattern of an eTag-blind store: every write replaces the row, whatever version it was read at. */
function eTagBlind(storage: Storage): Storage {
  return {
    read: (keys) => storage.read(keys),
    write: (changes: StoreItems) =>
      storage.write(Object.fromEntries(Object.entries(changes).map(([key, item]) => [key, { ...item, eTag: '*' }]))),
    delete: (keys) => storage.delete(keys),
  };
}

/**
 * `AgentApplication.run()` (1.7, 1.8) saves the turn state only when an `afterTurn` handler is
 * registered and returns true; agents that keep state register one.
 */
function saveTurnState<TState extends TurnState>(app: AgentApplication<TState>): void {
  app.onTurn('afterTurn', () => Promise.resolve(true));
}

interface CounterState {
  count?: number;
  turns?: string[];
}

/** An agent whose every message adds one to the conversation's count, pausing as real handlers do. */
function counterAgent(storage: Storage): AgentApplication<TurnState<CounterState>> {
  const app = new AgentApplication<TurnState<CounterState>>({ storage, startTypingTimer: false });
  saveTurnState(app);
  app.onActivity('message', async (context, state) => {
    const conversation = state.conversation;
    await handlerPause();
    conversation.count = (conversation.count ?? 0) + 1;
    conversation.turns = [...(conversation.turns ?? []), context.activity.text ?? ''];
    await context.sendActivity(`count ${conversation.count}`);
  });
  return app;
}

await describeOnDatabases('Agents SDK storage', (replicas) => {
  describe('the storage cases of the SDKs’ own stores', () => {
    it('reads an unknown key as absent, creates, and reads back with an eTag', async () => {
      const { fixture } = await replicas();
      const storage = new VersionedAgentStorage({ repository: fixture.repository });
      expect(await storage.read(['unknown'])).toEqual({});
      await storage.write({ created: { name: 'first', nested: { list: [1, 2] } } });
      expect(await storage.read(['created'])).toEqual({
        created: { name: 'first', nested: { list: [1, 2] }, eTag: '1' },
      });
    });

    it('handles crazy keys', async () => {
      const { fixture } = await replicas();
      const storage = new VersionedAgentStorage({ repository: fixture.repository });
      const keys = [
        '!@#$%^&*()~/\\><,.?\';"`~',
        'msteams/conversations/19:meeting_Nzc@thread.v2;messageid=17',
        'ключ 鍵 🔑',
        ' padded ',
      ];
      await storage.write(Object.fromEntries(keys.map((key, index) => [key, { index }])));
      const read = await storage.read(keys);
      expect(Object.keys(read).sort()).toEqual([...keys].sort());
      keys.forEach((key, index) => expect(read[key]).toEqual({ index, eTag: '1' }));
    });

    it('updates with the current eTag, refuses a stale one with ConcurrencyError, and writes regardless with "*"', async () => {
      const { fixture } = await replicas();
      const storage = new VersionedAgentStorage({ repository: fixture.repository });
      await storage.write({ item: { value: 1 } });
      const first = (await storage.read(['item']))['item']!;
      await storage.write({ item: { ...first, value: 2 } });
      const second = (await storage.read(['item']))['item']!;
      expect(second).toEqual({ value: 2, eTag: '2' });

      const stale = await storage.write({ item: { ...first, value: 99 } }).catch((error: unknown) => error);
      expect(stale).toBeInstanceOf(ConcurrencyError);
      expect(stale).toMatchObject({ expectedVersion: 1, actualVersion: 2, operation: 'updateSession', key: 'item' });
      expect((await storage.read(['item']))['item']).toEqual({ value: 2, eTag: '2' });

      await storage.write({ item: { value: 3, eTag: '*' } });
      await storage.write({ item: { value: 4 } });
      expect((await storage.read(['item']))['item']).toEqual({ value: 4, eTag: '4' });
    });

    it('refuses an eTag whose row was deleted since, as a conflict', async () => {
      const { fixture } = await replicas();
      const storage = new VersionedAgentStorage({ repository: fixture.repository });
      await storage.write({ item: { value: 1 } });
      const read = (await storage.read(['item']))['item']!;
      await storage.delete(['item']);
      const error = await storage.write({ item: { ...read, value: 2 } }).catch((caught: unknown) => caught);
      expect(isConcurrencyError(error) && error.actualVersion).toBe(null);
      expect(await storage.read(['item'])).toEqual({});
    });

    it('deletes, and deleting an unknown key is not an error', async () => {
      const { fixture } = await replicas();
      const storage = new VersionedAgentStorage({ repository: fixture.repository });
      await storage.write({ item: { value: 1 } });
      await storage.delete(['item', 'never-written']);
      expect(await storage.read(['item', 'never-written'])).toEqual({});
    });

    it('runs batches key by key: reads, writes and deletes several keys; a stale key stops the batch there', async () => {
      const { fixture } = await replicas();
      const storage = new VersionedAgentStorage({ repository: fixture.repository });
      await storage.write({ a: { n: 1 }, b: { n: 2 }, c: { n: 3 } });
      const read = await storage.read(['a', 'b', 'c', 'missing']);
      expect(read).toEqual({ a: { n: 1, eTag: '1' }, b: { n: 2, eTag: '1' }, c: { n: 3, eTag: '1' } });
      await storage.write({ b: { ...read['b'], n: 20 } });
      const batch = storage.write({
        a: { ...read['a'], n: 10 },
        b: { ...read['b'], n: 200 },
        c: { ...read['c'], n: 30 },
      });
      await expect(batch).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await storage.read(['a', 'b', 'c'])).toEqual({
        a: { n: 10, eTag: '2' },
        b: { n: 20, eTag: '2' },
        c: { n: 3, eTag: '1' },
      });
      await storage.delete(['a', 'b']);
      expect(Object.keys(await storage.read(['a', 'b', 'c']))).toEqual(['c']);
    });

    it('refuses bad input with InvalidArgumentError and writes nothing', async () => {
      const { fixture } = await replicas();
      const storage = new VersionedAgentStorage({ repository: fixture.repository });
      await expect(storage.read([])).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(storage.write({})).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(storage.write({ item: { value: 1, eTag: 'W/"0x8D"' } })).rejects.toThrow(/eTag/);
      await expect(storage.write({ item: { when: new Date() } })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(storage.write({ ['x'.repeat(300)]: { value: 1 } })).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(() => new VersionedAgentStorage({ repository: {} as never })).toThrow(InvalidArgumentError);
      expect(
        () => new VersionedAgentStorage({ repository: fixture.repository, untracked: 'sometimes' as never }),
      ).toThrow(/untracked/);
      expect(await storage.read(['item'])).toEqual({});
    });

    it('keeps items of two prefixes apart in one table', async () => {
      const { fixture } = await replicas();
      const teams = new VersionedAgentStorage({ repository: fixture.repository, keyPrefix: 'teams:' });
      const web = new VersionedAgentStorage({ repository: fixture.repository, keyPrefix: 'web:' });
      await teams.write({ conversation: { channel: 'teams' } });
      expect(await web.read(['conversation'])).toEqual({});
      expect((await fixture.repository.getSession('teams:conversation'))?.data).toEqual({ channel: 'teams' });
    });
  });

  describe('AgentApplication turn state', () => {
    it('a three-step flow across turns: each step kept in conversation state, every turn on a new app instance', async () => {
      const { fixture } = await replicas();
      const adapter = new TestAdapter();
      const build = () => {
        const app = new AgentApplication<TurnState<{ step?: number; name?: string; color?: string }>>({
          storage: new VersionedAgentStorage({ repository: fixture.repository }),
          startTypingTimer: false,
        });
        saveTurnState(app);
        app.onActivity('message', async (context, state) => {
          const dialog = state.conversation;
          const text = context.activity.text ?? '';
          if (dialog.step === undefined) {
            dialog.step = 1;
            await context.sendActivity('What is your name?');
          } else if (dialog.step === 1) {
            Object.assign(dialog, { step: 2, name: text });
            await context.sendActivity(`Hello ${text}. Favourite colour?`);
          } else {
            Object.assign(dialog, { step: 3, color: text });
            await context.sendActivity(`${dialog.name} likes ${text}.`);
          }
        });
        return app;
      };
      await build().run(adapter.context('waterfall', 'hi'));
      await build().run(adapter.context('waterfall', 'Ada'));
      await build().run(adapter.context('waterfall', 'green'));
      expect(adapter.sent).toEqual(['What is your name?', 'Hello Ada. Favourite colour?', 'Ada likes green.']);
      const stored = await fixture.repository.getSession('test/agent/conversations/waterfall');
      expect(stored?.data).toEqual({ step: 3, name: 'Ada', color: 'green' });
      expect(stored?.version).toBe(3);
    });

    it(`${CONCURRENT_UPDATES} concurrent turns on two instances: no turn's update is lost, the losers see ConcurrencyError`, async () => {
      const { fixture, repositories } = await replicas();
      const apps = repositories(2).map((repository) =>
        counterAgent(asAgentsStorage(new VersionedAgentStorage({ repository }))),
      );
      const adapter = new TestAdapter();
      // The conversation exists before the burst, as in a running conversation.
      await apps[0]!.run(adapter.context('burst', 'first'));
      const results = await Promise.allSettled(
        Array.from({ length: CONCURRENT_UPDATES }, (_, index) =>
          apps[index % 2]!.run(adapter.context('burst', `turn-${index}`)),
        ),
      );
      const { fulfilled, reasons } = settle(results);
      const stored = await fixture.repository.getSession('test/agent/conversations/burst');
      console.warn(
        `[agents ${fixture.store.dialect}] AgentApplication + VersionedAgentStorage: ${CONCURRENT_UPDATES} concurrent turns, ${fulfilled} committed, ${reasons.length} refused with ConcurrencyError, count ${String(stored?.data['count'])} (expected ${1 + fulfilled})`,
      );
      expect(reasons.every((reason) => isConcurrencyError(reason))).toBe(true);
      expect(reasons.length).toBeGreaterThan(0);
      expect(stored?.data['count']).toBe(1 + fulfilled);
      expect((stored?.data['turns'] as string[]).length).toBe(1 + fulfilled);
    });

    it(`${CONCURRENT_UPDATES} concurrent turns run through the guide's runTurn: every turn applied once, one reply each`, async () => {
      const { fixture, repositories } = await replicas();
      const apps = repositories(2).map((repository) => counterAgent(new VersionedAgentStorage({ repository })));
      const adapter = new TestAdapter();
      await runTurn(apps[0]!, adapter.context('retried', 'first'));
      const results = await Promise.allSettled(
        Array.from({ length: CONCURRENT_UPDATES }, (_, index) =>
          runTurn(apps[index % 2]!, adapter.context('retried', `turn-${index}`), 40),
        ),
      );
      const { fulfilled, reasons } = settle(results);
      const stored = await fixture.repository.getSession('test/agent/conversations/retried');
      console.warn(
        `[agents ${fixture.store.dialect}] AgentApplication + VersionedAgentStorage + runTurn: ${CONCURRENT_UPDATES} concurrent turns, ${fulfilled} applied, count ${String(stored?.data['count'])} (expected ${1 + CONCURRENT_UPDATES})`,
      );
      expect(reasons).toEqual([]);
      expect(stored?.data['count']).toBe(1 + CONCURRENT_UPDATES);
      expect([...adapter.sent].sort()).toEqual(
        Array.from({ length: 1 + CONCURRENT_UPDATES }, (_, index) => `count ${index + 1}`).sort(),
      );
    });

    it('negative control: the same turns through an eTag-blind store all "succeed" and lose updates', async () => {
      const { fixture, repositories } = await replicas();
      const apps = repositories(2).map((repository) =>
        counterAgent(eTagBlind(new VersionedAgentStorage({ repository }))),
      );
      const adapter = new TestAdapter();
      await apps[0]!.run(adapter.context('blind', 'first'));
      const results = await Promise.allSettled(
        Array.from({ length: CONCURRENT_UPDATES }, (_, index) =>
          apps[index % 2]!.run(adapter.context('blind', `turn-${index}`)),
        ),
      );
      const { fulfilled } = settle(results);
      const count = (await fixture.repository.getSession('test/agent/conversations/blind'))?.data['count'] as number;
      console.warn(
        `[agents ${fixture.store.dialect}] AgentApplication + eTag-blind store: ${CONCURRENT_UPDATES} concurrent turns, ${fulfilled} "succeeded", count ${count} (expected ${1 + CONCURRENT_UPDATES}): ${1 + CONCURRENT_UPDATES - count} lost`,
      );
      expect(fulfilled).toBe(CONCURRENT_UPDATES);
      expect(count).toBeLessThan(1 + CONCURRENT_UPDATES);
    });
  });

  describe('ConversationState (writes with eTag "*")', () => {
    async function runBurst(untracked: 'overwrite' | 'create-only') {
      const { fixture, repositories } = await replicas();
      const states = repositories(2).map(
        (repository) => new ConversationState(new VersionedAgentStorage({ repository, untracked })),
      );
      const adapter = new TestAdapter();
      const turn = async (state: ConversationState, text: string) => {
        const context = adapter.context('state', text);
        const counter = state.createProperty<number>('count');
        const count = await counter.get(context, 0);
        await handlerPause();
        await counter.set(context, count + 1);
        await state.saveChanges(context);
      };
      await turn(states[0]!, 'first');
      const results = await Promise.allSettled(
        Array.from({ length: CONCURRENT_UPDATES }, (_, index) => turn(states[index % 2]!, `turn-${index}`)),
      );
      const { fulfilled, reasons } = settle(results);
      const stored = await fixture.repository.getSession('test/conversations/state/');
      const count = stored?.data['count'] as number;
      console.warn(
        `[agents ${fixture.store.dialect}] ConversationState, untracked '${untracked}': ${CONCURRENT_UPDATES} concurrent turns, ${fulfilled} committed, ${reasons.length} refused, count ${count} (expected ${1 + fulfilled})`,
      );
      return { fulfilled, reasons, count, stored };
    }

    it("negative control: with the SDKs' contract ('*' writes regardless) concurrent turns lose updates", async () => {
      const { fulfilled, count } = await runBurst('overwrite');
      expect(fulfilled).toBe(CONCURRENT_UPDATES);
      expect(count).toBeLessThan(1 + CONCURRENT_UPDATES);
    });

    it("with untracked: 'create-only' the item read is written on its version: nothing lost, losers see ConcurrencyError", async () => {
      const { fulfilled, reasons, count } = await runBurst('create-only');
      expect(reasons.length).toBeGreaterThan(0);
      expect(reasons.every((reason) => isConcurrencyError(reason))).toBe(true);
      expect(count).toBe(1 + fulfilled);
    });

    it("with untracked: 'create-only' two first turns of a new conversation cannot both create it", async () => {
      const { fixture, repositories } = await replicas();
      const [left, right] = repositories(2).map(
        (repository) => new VersionedAgentStorage({ repository, untracked: 'create-only' }),
      );
      const results = await Promise.allSettled([
        left!.write({ fresh: { by: 'left' } }),
        right!.write({ fresh: { by: 'right' } }),
      ]);
      const { fulfilled, reasons } = settle(results);
      expect(fulfilled).toBe(1);
      expect(reasons.every((reason) => isConcurrencyError(reason))).toBe(true);
      expect((await fixture.repository.getSession('fresh'))?.version).toBe(1);
    });
  });
});
