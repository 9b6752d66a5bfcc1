package dev.quark.messaging.state;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.eventsourcing.ConcurrencyException;
import dev.quark.eventsourcing.EventSourcedActor;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.runtime.DefaultOutbox;
import dev.quark.messaging.runtime.DefaultStateOutbox;
import dev.quark.messaging.runtime.MessageCodec;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.StateAttachingOutboxStore;
import dev.quark.messaging.store.StoredMessage;
import dev.quark.state.StateWriteAttachment;
import dev.quark.testkit.ActorTestKit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * An event-sourced actor's events and its outbox messages written as one write ({@code StateOutbox.withMessages}):
 * both, or neither. Each backend runs these with its event store and outbox store on one database.
 */
abstract class EventOutboxTests {

    sealed interface WalletEvent permits Deposited, Withdrawn {
    }

    record Deposited(long cents) implements WalletEvent {
    }

    record Withdrawn(long cents) implements WalletEvent {
    }

    public interface Wallet extends Actor {

        long deposit(long cents);

        long withdraw(long cents, Map<String, String> headers);

        long balance();
    }

    /** Enqueues one "ledger" message per event, with the event; records the ids enqueued. */
    @QuarkActor
    public static class WalletActor extends EventSourcedActor<Long, WalletEvent> implements Wallet {

        private final StateOutbox stateOutbox;

        private final List<MessageId> enqueued;

        WalletActor(StateOutbox stateOutbox, List<MessageId> enqueued) {
            this.stateOutbox = stateOutbox;
            this.enqueued = enqueued;
        }

        @Override
        protected Long initialState() {
            return 0L;
        }

        @Override
        protected Long apply(Long state, WalletEvent event) {
            return switch (event) {
                case Deposited deposited -> state + deposited.cents();
                case Withdrawn withdrawn -> state - withdrawn.cents();
            };
        }

        @Override
        public long deposit(long cents) {
            emit(new Deposited(cents), this.stateOutbox.withMessages((outbox) -> this.enqueued
                .add(outbox.enqueue("ledger", actorId(), "deposited " + cents))));
            return state();
        }

        @Override
        public long withdraw(long cents, Map<String, String> headers) {
            emitAll(List.of(new Withdrawn(cents)), this.stateOutbox.withMessages((outbox) -> {
                this.enqueued.add(outbox.enqueue("ledger", actorId(), "withdrawn " + cents, headers));
                this.enqueued.add(outbox.enqueue("ledger", actorId(), "audit " + cents));
            }));
            return state();
        }

        @Override
        public long balance() {
            return state();
        }
    }

    protected final List<MessageId> enqueued = new CopyOnWriteArrayList<>();

    /**
     * Returns the event store under test, on the outbox store's database.
     * @return the event store
     */
    protected abstract EventStore eventStore();

    /**
     * Returns the outbox store under test.
     * @return the outbox store
     */
    protected abstract OutboxStore outboxStore();

    protected StateOutbox stateOutbox() {
        return new DefaultStateOutbox(outbox(outboxStore()));
    }

    static DefaultOutbox outbox(OutboxStore store) {
        return new DefaultOutbox(store, new Destinations(List.of(MessagePublisher.of("ledger", (message) -> {
        }))), new MessageCodec(JsonMapper.shared()), new Partitioner(16), Clock.systemUTC());
    }

    protected ActorTestKit kit(EventStore events, StateOutbox stateOutbox) {
        return ActorTestKit.builder()
            .eventStore(events)
            .actor(WalletActor.class, () -> new WalletActor(stateOutbox, this.enqueued))
            .build();
    }

    protected static String walletId() {
        return "w-" + UUID.randomUUID();
    }

    @Test
    void theEventsAndTheirMessagesAreStoredTogetherInEnqueueOrder() {
        String id = walletId();
        try (ActorTestKit kit = kit(eventStore(), stateOutbox())) {
            Wallet wallet = kit.get(Wallet.class, id);
            assertThat(wallet.deposit(100)).isEqualTo(100);
            assertThat(wallet.withdraw(30, Map.of("trace", "t-1"))).isEqualTo(70);
        }
        assertThat(eventStore().read("Wallet/" + id, 1, 10)).extracting(StoredEvent::type)
            .containsExactly("Deposited", "Withdrawn");
        assertThat(this.enqueued).hasSize(3);
        List<StoredMessage> stored = this.enqueued.stream()
            .map((messageId) -> outboxStore().find(messageId).orElseThrow())
            .toList();
        assertThat(stored).extracting(StoredMessage::payload)
            .containsExactly("\"deposited 100\"", "\"withdrawn 30\"", "\"audit 30\"");
        assertThat(stored).extracting(StoredMessage::status).containsOnly(MessageStatus.PENDING);
        assertThat(stored.get(1).headers()).containsEntry("trace", "t-1");
        assertThat(stored.get(0).sequence()).isLessThan(stored.get(1).sequence());
        assertThat(stored.get(1).sequence()).isLessThan(stored.get(2).sequence());
    }

    @Test
    void aStreamThatChangedBehindTheActorGetsNeitherTheEventNorTheMessages() {
        String id = walletId();
        try (ActorTestKit kit = kit(eventStore(), stateOutbox())) {
            Wallet wallet = kit.get(Wallet.class, id);
            assertThat(wallet.deposit(100)).isEqualTo(100);
            eventStore().append("Wallet/" + id, List.of(new NewEvent(UUID.randomUUID(), "Deposited", 1,
                    "{\"cents\":5}")), EventStore.ANY_VERSION);
            assertThatExceptionOfType(ConcurrencyException.class)
                .isThrownBy(() -> wallet.withdraw(30, Map.of()));
            assertThat(wallet.balance()).as("rebuilt from the store").isEqualTo(105);
        }
        assertThat(eventStore().version("Wallet/" + id)).isEqualTo(2);
        assertThat(this.enqueued).hasSize(3);
        assertThat(outboxStore().find(this.enqueued.get(0))).isPresent();
        assertThat(outboxStore().find(this.enqueued.get(1))).isEmpty();
        assertThat(outboxStore().find(this.enqueued.get(2))).isEmpty();
    }

    @Test
    void aReusedAttachmentIsRefusedNamingItsMessageAndWritesNeitherEventsNorMessages() {
        String stream = "Wallet/" + walletId();
        StateWriteAttachment attachment = stateOutbox()
            .withMessages((outbox) -> this.enqueued.add(outbox.enqueue("ledger", "w", "opened")));
        eventStore().append(stream, List.of(newEvent()), 0, attachment);
        MessageId first = this.enqueued.getFirst();
        assertThatIllegalArgumentException()
            .isThrownBy(() -> eventStore().append(stream, List.of(newEvent()), 1, attachment))
            .withMessageContaining(first.toString());
        assertThat(eventStore().version(stream)).isOne();
        assertThat(outboxStore().find(first)).isPresent();
    }

    @Test
    void anAttachmentWithOneMessageEnqueuedAlreadyWritesNoneOfItsMessagesNorTheEvents() {
        String stream = "Wallet/" + walletId();
        NewMessage enqueuedAlready = message();
        StateAttachingOutboxStore attaching = (StateAttachingOutboxStore) outboxStore();
        eventStore().append(stream, List.of(newEvent()), 0, attaching.appendWithState(List.of(enqueuedAlready)));
        NewMessage fresh = message();
        NewMessage last = message();
        assertThatIllegalArgumentException()
            .isThrownBy(() -> eventStore().append(stream, List.of(newEvent(), newEvent()), 1,
                    attaching.appendWithState(List.of(fresh, enqueuedAlready, last))))
            .withMessageContaining(enqueuedAlready.id().toString());
        assertThat(eventStore().version(stream)).isOne();
        assertThat(outboxStore().find(enqueuedAlready.id())).isPresent();
        assertThat(outboxStore().find(fresh.id())).as("written before the refused one").isEmpty();
        assertThat(outboxStore().find(last.id())).isEmpty();
        eventStore().append(stream, List.of(newEvent()), 1, attaching.appendWithState(List.of(fresh)));
        assertThat(eventStore().version(stream)).as("the store still takes appends").isEqualTo(2);
        assertThat(outboxStore().find(fresh.id())).isPresent();
    }

    protected static NewEvent newEvent() {
        return new NewEvent(UUID.randomUUID(), "Deposited", 1, "{\"cents\":1}");
    }

    private static NewMessage message() {
        return new NewMessage(MessageId.next(Clock.systemUTC()), "ledger", "w", 3, "java.lang.String", "\"x\"",
                Map.of(), Instant.now());
    }
}
