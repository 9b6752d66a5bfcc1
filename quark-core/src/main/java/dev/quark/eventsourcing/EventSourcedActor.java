package dev.quark.eventsourcing;

import java.util.List;
import java.util.Objects;

import dev.quark.actor.AbstractActor;
import dev.quark.state.StateWriteAttachment;
import org.jspecify.annotations.Nullable;

/**
 * Base class of an actor whose state is the fold of the events it emitted. The runtime rebuilds the state on every
 * activation, before {@code onActivate()}: from the stream's latest snapshot when there is one, then each later
 * event through {@link #apply}. {@link #emit} appends events to the actor's stream (expecting the version the
 * activation knows, so a second writer can never interleave) and applies them; every
 * {@link #snapshotEvery()} events the state is saved as a snapshot.
 * <pre>{@code
 * sealed interface AccountEvent permits Deposited, Withdrawn { }
 * record Deposited(long amount) implements AccountEvent { }
 * record Withdrawn(long amount) implements AccountEvent { }
 * record Balance(long value) { }
 *
 * @QuarkActor
 * class AccountActor extends EventSourcedActor<Balance, AccountEvent> implements Account {
 *     protected Balance initialState() { return new Balance(0); }
 *
 *     protected Balance apply(Balance state, AccountEvent event) {
 *         return switch (event) {
 *             case Deposited d -> new Balance(state.value() + d.amount());
 *             case Withdrawn w -> new Balance(state.value() - w.amount());
 *         };
 *     }
 *
 *     public long deposit(long amount) {
 *         emit(new Deposited(amount));
 *         return state().value();
 *     }
 * }
 * }</pre>
 * The event base type {@code E} is a sealed interface whose permitted classes are the events (see
 * {@link EventTypes}); states and events are JSON through the application's mapper. {@link #apply} must be a
 * function of its arguments only: it runs again on every activation and for {@link #stateAt(long)}.
 * <p>
 * Failures: an append that fails ({@link ConcurrencyException}, an unreachable store) reaches the caller of the
 * turn, the state stays as it was, and the activation ends after the turn, so the next call rebuilds the state from
 * the store; so does an {@link #apply} that throws after the append. An event that cannot be read fails the activation with an {@link EventDeserializationException}
 * naming stream, version and type; a stream truncated before a snapshot that is gone since fails it with a
 * {@link TruncatedStreamException} naming stream and truncated version. A snapshot that cannot be read (the state class changed) is ignored and the
 * state rebuilt from all events; a snapshot that cannot be saved is logged and retried at the next threshold.
 *
 * @param <S> the state type
 * @param <E> the event base type
 */
public abstract class EventSourcedActor<S, E> extends AbstractActor {

    /** Returned by {@link #snapshotEvery()} to use the configured default ({@code quark.eventstore.snapshot-every}). */
    protected static final int DEFAULT_SNAPSHOT_EVERY = 0;

    private @Nullable EventJournal<S, E> journal;

    /**
     * Returns the state of a stream without events.
     * @return the initial state
     */
    protected abstract S initialState();

    /**
     * Returns the state after an event.
     * @param state the state before it
     * @param event the event
     * @return the state after it; may be {@code state} changed in place
     */
    protected abstract S apply(S state, E event);

    /**
     * Returns how many events may follow the latest snapshot before a new one is saved.
     * @return the number, or {@link #DEFAULT_SNAPSHOT_EVERY} for the configured default
     */
    protected int snapshotEvery() {
        return DEFAULT_SNAPSHOT_EVERY;
    }

    /**
     * Returns whether the stream is truncated through every snapshot this actor saves: the events a snapshot covers are
     * deleted right after it is saved (see {@link EventStore#truncateStream}), so the stream keeps at most about
     * {@link #snapshotEvery()} events. Off by default: a truncated stream's past states before its snapshot can no
     * longer be rebuilt ({@link #stateAt(long)}), its truncated events leave the global feed (a subscription that has
     * not reached them never sees them), and a snapshot that stops reading (the state class changed shape) can no
     * longer fall back on the events. A truncation that fails is logged and left to the next snapshot.
     * @return whether to truncate after each snapshot
     */
    protected boolean truncateAfterSnapshot() {
        return false;
    }

    /**
     * Returns the name of this actor's event stream.
     * @param actorType the actor's type name
     * @param actorId the actor's id
     * @return by default {@code <actor type>/<actor id>}, for instance {@code Account/alice}
     */
    protected String streamName(String actorType, String actorId) {
        return actorType + "/" + actorId;
    }

    /**
     * Returns the current state.
     * @return the state after every event of the stream
     */
    protected final S state() {
        return journal().state();
    }

    /**
     * Returns the stream's version: the version of the last event applied (events are numbered from 1). It is the
     * number of events only until the stream is truncated: a truncation keeps the version and deletes events.
     * @return the version, 0 before the first event
     */
    protected final long streamVersion() {
        return journal().version();
    }

    /**
     * Returns this actor's stream name.
     * @return the stream name
     */
    protected final String stream() {
        return journal().stream();
    }

    /**
     * Appends an event to this actor's stream and applies it.
     * @param event the event
     * @throws ConcurrencyException when the stream changed behind this activation; nothing was appended
     * @throws IllegalArgumentException when the event is not one of the event classes or cannot be written
     */
    protected final void emit(E event) {
        emitAll(List.of(event));
    }

    /**
     * Appends events to this actor's stream in one atomic append and applies them.
     * @param events the events, at least one
     * @throws ConcurrencyException when the stream changed behind this activation; nothing was appended
     * @throws IllegalArgumentException when an event is not one of the event classes or cannot be written
     */
    protected final void emitAll(List<? extends E> events) {
        emitWith(events, null);
    }

    /**
     * Appends an event and makes attached writes in the same atomic step (both, or neither), then applies the event.
     * For outbox messages that go out if and only if the event was stored, the messaging module's
     * {@code StateOutbox.withMessages}:
     * <pre>{@code
     * emit(new Withdrawn(cents), stateOutbox.withMessages(
     *         (outbox) -> outbox.enqueue("ledger", actorId(), new LedgerEntry(actorId(), -cents))));
     * }</pre>
     * The event store must be able to make the writes atomically: the attachment's kind of its backend, on the same
     * database ({@code JdbcStateAttachment} on its {@code DataSource}, {@code RedisStateAttachment} of its connection
     * factory, {@code InMemoryStateAttachment} for the in-memory store).
     * @param event the event
     * @param attachment the writes to make with the append
     * @throws ConcurrencyException when the stream changed behind this activation; nothing was written
     * @throws UnsupportedOperationException when the event store cannot make the writes atomically; nothing was
     * written
     * @throws IllegalArgumentException when the event is not one of the event classes or cannot be written, or the
     * attachment refused its writes; nothing was written
     */
    protected final void emit(E event, StateWriteAttachment attachment) {
        emitAll(List.of(event), attachment);
    }

    /**
     * Appends events and makes attached writes in one atomic step (both, or neither), then applies the events; see
     * {@link #emit(Object, StateWriteAttachment)}.
     * @param events the events, at least one
     * @param attachment the writes to make with the append
     * @throws ConcurrencyException when the stream changed behind this activation; nothing was written
     * @throws UnsupportedOperationException when the event store cannot make the writes atomically; nothing was
     * written
     * @throws IllegalArgumentException when an event is not one of the event classes or cannot be written, or the
     * attachment refused its writes; nothing was written
     */
    protected final void emitAll(List<? extends E> events, StateWriteAttachment attachment) {
        emitWith(events, Objects.requireNonNull(attachment, "attachment must not be null"));
    }

    private void emitWith(List<? extends E> events, @Nullable StateWriteAttachment attachment) {
        Objects.requireNonNull(events, "events must not be null");
        EventJournal<S, E> current = journal();
        try {
            current.emit(events, attachment);
        }
        catch (EventJournal.AppendFailedException ex) {
            deactivateOnIdle();
            throw ex.failure();
        }
        catch (RuntimeException | Error ex) {
            // apply() failed after the append: the stream is ahead of this activation's state
            deactivateOnIdle();
            throw ex;
        }
    }

    /**
     * Saves a snapshot of the current state and truncates the stream before it: deletes every event up to
     * {@link #streamVersion()} (see {@link EventStore#truncateStream}). The state and the version stay as they are;
     * later activations start from the snapshot, later emits append after it. The states before the snapshot can no
     * longer be rebuilt by {@link #stateAt(long)}, and the deleted events leave the global feed.
     * <p>
     * The snapshot and the truncation each expect {@link #streamVersion()}, checked by the store atomically with the
     * write ({@link EventStore#saveSnapshot(String, Snapshot, long)}, {@link EventStore#truncateStream(String, long,
     * long)}): a stale activation (a duplicate, or one whose stream was deleted and written again behind it) never
     * saves its state as the snapshot nor deletes events it has not folded into it.
     * <p>
     * When the snapshot cannot be saved or the truncation fails (the store cannot be reached, the stream changed
     * behind this activation), the exception reaches the caller and the activation ends after the turn, so the next
     * call rebuilds it from the store.
     * @return how many events were deleted; 0 for an empty stream or one truncated through this version already
     * @throws ConcurrencyException when the stream is not at {@link #streamVersion()} (it changed behind this
     * activation); nothing was deleted, and no snapshot saved unless the stream changed between the snapshot and the
     * truncation (the snapshot, of this version, is then kept)
     */
    protected final long truncateStream() {
        try {
            return journal().truncate();
        }
        catch (RuntimeException ex) {
            deactivateOnIdle();
            throw ex;
        }
    }

    /**
     * Deletes this actor's stream, its events and its snapshot (see {@link EventStore#deleteStream}), expecting the
     * version this activation knows, and ends the activation after the current turn: the next call starts a new
     * activation on the empty stream. For the rest of the turn the state is {@link #initialState()} at version 0; an
     * event emitted after it starts the new stream at version 1.
     * @return how many events were deleted
     * @throws ConcurrencyException when the stream changed behind this activation; nothing was deleted (the activation
     * ends after the turn all the same)
     */
    protected final long deleteStream() {
        EventJournal<S, E> current = journal();
        deactivateOnIdle();
        return current.delete();
    }

    /**
     * Rebuilds the state as it was at a version of the stream, for audits: the fold of its first {@code version}
     * events from {@link #initialState()}, read from the store. Once the stream was truncated (see
     * {@link #truncateStream()}), only the states from its latest snapshot on can be rebuilt (from the snapshot), and
     * version 0.
     * @param version the version, from 0 to {@link #streamVersion()}
     * @return the state at that version
     * @throws IllegalArgumentException when the version is negative or beyond the stream's, or its events were
     * truncated and no snapshot at or before it stands for them
     */
    protected final S stateAt(long version) {
        return journal().stateAt(version);
    }

    final void attach(EventJournal<S, E> journal) {
        this.journal = journal;
    }

    final @Nullable EventJournal<S, E> detach() {
        EventJournal<S, E> current = this.journal;
        this.journal = null;
        return current;
    }

    private EventJournal<S, E> journal() {
        EventJournal<S, E> current = this.journal;
        if (current == null) {
            throw new IllegalStateException(getClass().getName() + " has no event stream: event-sourced actors are "
                    + "created by the runtime, with an EventSourcingActivationHook registered");
        }
        return current;
    }

    final S applyEvent(S state, E event) {
        return apply(state, event);
    }

    final S newState() {
        return initialState();
    }
}
