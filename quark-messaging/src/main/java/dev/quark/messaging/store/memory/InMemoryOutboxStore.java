package dev.quark.messaging.store.memory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import dev.quark.lease.FencingToken;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.OutboxStoreArguments;
import dev.quark.messaging.store.StateAttachingOutboxStore;
import dev.quark.messaging.store.StoredMessage;
import dev.quark.state.StateWriteAttachment;
import dev.quark.state.memory.InMemoryStateAttachment;

/**
 * Keeps outbox messages in memory, in append order. {@link #append} is immediate: there is no transaction to join,
 * so a message enqueued in a transaction that rolls back is still delivered. For tests and single-JVM applications.
 * Thread-safe (one lock). With a state (or events), its messages are appended all or none, by the in-memory state
 * store (or event store) only, in the save's step after its version check ({@link InMemoryStateAttachment}): a state
 * kept in Redis or PostgreSQL refuses them, since a restart would lose the messages and keep the state.
 */
public final class InMemoryOutboxStore implements StateAttachingOutboxStore {

    private final Object lock = new Object();

    private final Map<MessageId, StoredMessage> messages = new LinkedHashMap<>();

    private final Map<Integer, FencingToken> stamps = new HashMap<>();

    private long sequence;

    @Override
    public StateWriteAttachment appendWithState(List<NewMessage> messages) {
        List<NewMessage> appended = List.copyOf(messages);
        return new InMemoryStateAttachment() {

            @Override
            public void write() {
                appendAll(appended);
            }

            @Override
            public String description() {
                return appended.size() + " in-memory outbox messages";
            }
        };
    }

    @Override
    public void append(NewMessage message) {
        appendAll(List.of(message));
    }

    /**
     * Appends messages, all or none: refuses them all, naming it, when one of them was enqueued already (or is in the
     * list twice).
     */
    private void appendAll(List<NewMessage> batch) {
        synchronized (this.lock) {
            Set<MessageId> ids = new HashSet<>();
            for (NewMessage message : batch) {
                if (this.messages.containsKey(message.id()) || !ids.add(message.id())) {
                    throw new IllegalArgumentException("Message " + message.id() + " was enqueued already");
                }
            }
            batch.forEach(this::appendChecked);
        }
    }

    private void appendChecked(NewMessage message) {
        synchronized (this.lock) {
            StoredMessage stored = new StoredMessage(++this.sequence, message.id(), message.destination(),
                    message.key(), message.partition(), message.payloadType(), message.payload(), message.headers(),
                    message.createdAt(), MessageStatus.PENDING, 0, null, null, null);
            this.messages.put(message.id(), stored);
        }
    }

    @Override
    public Optional<StoredMessage> find(MessageId id) {
        synchronized (this.lock) {
            return Optional.ofNullable(this.messages.get(id));
        }
    }

    @Override
    public boolean stamp(int partition, FencingToken token) {
        synchronized (this.lock) {
            FencingToken current = this.stamps.get(partition);
            if (current != null && current.isNewerThan(token)) {
                return false;
            }
            this.stamps.put(partition, token);
            return true;
        }
    }

    @Override
    public List<StoredMessage> nextBatch(int partition, Instant now, int limit) {
        synchronized (this.lock) {
            Set<String> waiting = new HashSet<>();
            for (StoredMessage message : this.messages.values()) {
                if (message.partition() == partition && message.status() == MessageStatus.PENDING
                        && message.retryAt() != null && message.retryAt().isAfter(now)) {
                    waiting.add(message.key());
                }
            }
            return this.messages.values()
                .stream()
                .filter((message) -> message.partition() == partition && message.status() == MessageStatus.PENDING
                        && !waiting.contains(message.key()))
                .sorted(Comparator.comparingLong(StoredMessage::sequence))
                .limit(limit)
                .toList();
        }
    }

    @Override
    public boolean markDelivered(StoredMessage message, FencingToken token, Instant at) {
        return update(message, token, MessageStatus.DELIVERED, null, at, null);
    }

    @Override
    public boolean markRetry(StoredMessage message, FencingToken token, Instant retryAt, String error) {
        return update(message, token, MessageStatus.PENDING, retryAt, null, error);
    }

    @Override
    public boolean markDead(StoredMessage message, FencingToken token, Instant at, String error) {
        return update(message, token, MessageStatus.DEAD, null, at, error);
    }

    private boolean update(StoredMessage message, FencingToken token, MessageStatus status, @Nullable Instant retryAt,
            @Nullable Instant finishedAt, @Nullable String error) {
        synchronized (this.lock) {
            StoredMessage current = this.messages.get(message.id());
            if (current == null || current.status() != MessageStatus.PENDING
                    || !token.equals(this.stamps.get(current.partition()))) {
                return false;
            }
            this.messages.put(current.id(), new StoredMessage(current.sequence(), current.id(), current.destination(),
                    current.key(), current.partition(), current.payloadType(), current.payload(), current.headers(),
                    current.createdAt(), status, current.attempts() + 1, retryAt, finishedAt,
                    (error != null) ? error : current.lastError()));
            return true;
        }
    }

    @Override
    public int deleteFinished(MessageStatus status, Instant finishedBefore, int limit) {
        synchronized (this.lock) {
            List<MessageId> doomed = new ArrayList<>();
            for (StoredMessage message : this.messages.values()) {
                if (doomed.size() < limit && message.status() == status && message.finishedAt() != null
                        && message.finishedAt().isBefore(finishedBefore)) {
                    doomed.add(message.id());
                }
            }
            doomed.forEach(this.messages::remove);
            return doomed.size();
        }
    }

    @Override
    public long count(MessageStatus status) {
        synchronized (this.lock) {
            return this.messages.values().stream().filter((message) -> message.status() == status).count();
        }
    }

    @Override
    public Optional<Instant> oldestPending() {
        synchronized (this.lock) {
            return this.messages.values()
                .stream()
                .filter((message) -> message.status() == MessageStatus.PENDING)
                .map(StoredMessage::createdAt)
                .min(Comparator.naturalOrder());
        }
    }

    @Override
    public List<StoredMessage> deadLetters(int limit) {
        synchronized (this.lock) {
            return this.messages.values()
                .stream()
                .filter((message) -> message.status() == MessageStatus.DEAD)
                .sorted(Comparator.comparingLong(StoredMessage::sequence))
                .limit(limit)
                .toList();
        }
    }

    @Override
    public boolean requeue(MessageId id) {
        synchronized (this.lock) {
            StoredMessage current = this.messages.get(id);
            if (current == null || current.status() != MessageStatus.DEAD) {
                return false;
            }
            this.messages.put(id, new StoredMessage(++this.sequence, id, current.destination(), current.key(),
                    current.partition(), current.payloadType(), current.payload(), current.headers(),
                    current.createdAt(), MessageStatus.PENDING, 0, null, null, current.lastError()));
            return true;
        }
    }

    @Override
    public List<MessageId> requeueDead(String destination, long throughSequence, int limit) {
        OutboxStoreArguments.requeueDead(destination, limit);
        synchronized (this.lock) {
            List<MessageId> ids = this.messages.values()
                .stream()
                .filter((message) -> message.status() == MessageStatus.DEAD
                        && message.destination().equals(destination) && message.sequence() <= throughSequence)
                .sorted(Comparator.comparingLong(StoredMessage::sequence))
                .limit(limit)
                .map(StoredMessage::id)
                .toList();
            ids.forEach(this::requeue);
            return ids;
        }
    }

    @Override
    public long lastSequence() {
        synchronized (this.lock) {
            return this.sequence;
        }
    }

    @Override
    public String toString() {
        synchronized (this.lock) {
            return "InMemoryOutboxStore[" + this.messages.size() + " messages]";
        }
    }
}
