package dev.quark.samples.bank.probe;

import java.util.ArrayList;
import java.util.List;

import dev.quark.messaging.MessageId;
import dev.quark.messaging.Outbox;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /outbox-probe/transactions?key=&first=&count=&rollback=}: one database transaction that enqueues
 * {@code count} {@link ProbeMessage}s of one key, numbered from {@code first}, then commits, or throws and rolls
 * back when {@code rollback=true}. The outbox joins the transaction (on PostgreSQL), so the messages exist iff it
 * committed. The answer says which. Without a transaction manager (the {@code redis} profile) the messages are
 * enqueued at once, each stored when its {@code enqueue} returns, and {@code rollback=true} is refused (400).
 */
@RestController
@ConditionalOnBooleanProperty("bank.outbox-probe.enabled")
class OutboxProbeController {

    /** Most messages one transaction may enqueue. */
    static final int MAX_COUNT = 100;

    private final Outbox outbox;

    private final @Nullable TransactionTemplate transactions;

    OutboxProbeController(Outbox outbox, ObjectProvider<TransactionTemplate> transactions) {
        this.outbox = outbox;
        if (transactions.stream().count() > 1) {
            throw new IllegalStateException("bank.outbox-probe.enabled=true needs a single TransactionTemplate "
                    + "(the postgres profile brings one) or none (the redis profile), found several");
        }
        this.transactions = transactions.getIfUnique();
    }

    @PostMapping("/outbox-probe/transactions")
    ProbeTransaction transaction(@RequestParam String key, @RequestParam long first, @RequestParam int count,
            @RequestParam(defaultValue = "false") boolean rollback) {
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException("count must be 1 to " + MAX_COUNT + ", was " + count);
        }
        String name = key + "#" + first + (rollback ? "-rolled-back" : "");
        List<MessageId> ids = new ArrayList<>(count);
        TransactionTemplate transactions = this.transactions;
        if (transactions == null) {
            if (rollback) {
                throw new IllegalArgumentException("rollback=true needs a transaction manager, which the postgres "
                        + "profile brings; without one the messages are enqueued at once");
            }
            for (int i = 0; i < count; i++) {
                ids.add(this.outbox.enqueue(OutboxProbeConfiguration.DESTINATION, key, new ProbeMessage(key, first + i, name)));
            }
            return new ProbeTransaction(name, true, ids.stream().map(MessageId::toString).toList());
        }
        try {
            transactions.executeWithoutResult((status) -> {
                for (int i = 0; i < count; i++) {
                    ids.add(this.outbox.enqueue(OutboxProbeConfiguration.DESTINATION, key,
                            new ProbeMessage(key, first + i, name)));
                }
                if (rollback) {
                    throw new RollbackRequested();
                }
            });
        }
        catch (RollbackRequested ex) {
            return new ProbeTransaction(name, false, ids.stream().map(MessageId::toString).toList());
        }
        return new ProbeTransaction(name, true, ids.stream().map(MessageId::toString).toList());
    }

    @ExceptionHandler
    ProblemDetail invalidInput(IllegalArgumentException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
    }

    /**
     * What a probe transaction did.
     * @param name the transaction's name, in its messages
     * @param committed whether it committed (else it rolled back)
     * @param messageIds the ids of the messages it enqueued, stored only if it committed
     */
    record ProbeTransaction(String name, boolean committed, List<String> messageIds) {
    }

    /** Thrown inside the transaction to roll it back. */
    private static final class RollbackRequested extends RuntimeException {

        RollbackRequested() {
            super("rollback requested", null, false, false);
        }
    }
}
