package dev.quark.durabletasks;

import org.jspecify.annotations.Nullable;

/**
 * A unit of work an orchestration delegates: a side effect (a payment, an e-mail, a database write) or anything that
 * may not be deterministic. Activities are ordinary code: they may block, do I/O and read the clock.
 * <p>
 * An activity runs <em>at least once</em>: a worker that crashes or loses its lease while running it leaves it to
 * another worker, which runs it again; a failed attempt is retried as its {@link ActivityOptions} say. Its result is
 * recorded <em>exactly once</em> in the orchestration's history: the completion of an attempt whose lease was lost
 * is refused. So make activities idempotent, for instance with {@link ActivityContext#idempotencyKey()}.
 * <p>
 * One instance serves every call (activities are usually singletons, such as Spring beans), possibly concurrently.
 *
 * @param <I> the input type, read from JSON
 * @param <O> the output type, written as JSON
 */
@FunctionalInterface
public interface Activity<I extends @Nullable Object, O extends @Nullable Object> {

    /**
     * Runs one attempt.
     * @param context what the attempt is part of
     * @param input the input the orchestration passed, {@code null} when none
     * @return the result, returned to the orchestration
     * @throws Exception any exception fails the attempt; it is retried when the options allow it, else the
     * orchestration's {@link DurableTask#await()} throws a {@link TaskFailedException} with its details
     */
    O execute(ActivityContext context, I input) throws Exception;
}
