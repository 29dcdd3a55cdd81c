/**
 * `versioned-sessions/agents` under the retired Bot Framework SDK (botbuilder 4.23): the storage is
 * structurally its `Storage`, and a real `WaterfallDialog` with text prompts runs across turns on
 * botbuilder's `TestAdapter`, its dialog state kept only in the database (every turn builds its
 * `ConversationState` and dialogs afresh, as a new process would), on SQLite and PostgreSQL.
 */
import { ConversationState, TestAdapter, type Storage } from 'botbuilder-core';
import { DialogSet, TextPrompt, WaterfallDialog, type DialogState } from 'botbuilder-dialogs';
import { expect, it } from 'vitest';
import { VersionedAgentStorage } from '../../src/agents/index.js';
import { describeOnDatabases } from './replicas.js';

// The storage is typed by the shape both SDKs call; botbuilder's own interface must accept it.
const asBotbuilderStorage = (storage: VersionedAgentStorage): Storage => storage;

await describeOnDatabases('Bot Framework SDK storage', (replicas) => {
  it('a waterfall dialog with prompts runs across turns, its state only in the database', async () => {
    const { fixture } = await replicas();
    const adapter = new TestAdapter(async (context) => {
      const conversationState = new ConversationState(
        asBotbuilderStorage(new VersionedAgentStorage({ repository: fixture.repository })),
      );
      const dialogs = new DialogSet(conversationState.createProperty<DialogState>('dialogState'));
      dialogs.add(new TextPrompt('text'));
      dialogs.add(
        new WaterfallDialog('profile', [
          (step) => step.prompt('text', 'What is your name?'),
          async (step) => {
            (step.values as { name?: unknown }).name = step.result;
            return step.prompt('text', `Hello ${String(step.result)}. Favourite colour?`);
          },
          async (step) => {
            await step.context.sendActivity(
              `${String((step.values as { name?: unknown }).name)} likes ${String(step.result)}.`,
            );
            return step.endDialog();
          },
        ]),
      );
      const dialog = await dialogs.createContext(context);
      const result = await dialog.continueDialog();
      if (result.status === 'empty') await dialog.beginDialog('profile');
      await conversationState.saveChanges(context);
    });
    await adapter
      .send('hi')
      .assertReply('What is your name?')
      .send('Ada')
      .assertReply('Hello Ada. Favourite colour?')
      .send('green')
      .assertReply('Ada likes green.')
      .startTest();
    const [row] = await fixture.exec(`SELECT ${fixture.quote(fixture.names.columns.key)} AS k FROM ${fixture.table}`);
    const stored = await fixture.repository.getSession(String(row!['k']));
    // Three turns, each a write of the conversation state: created, then two updates.
    expect(stored?.version).toBe(3);
    expect(stored?.data['dialogState']).toEqual({ dialogStack: [] });
  });
});
