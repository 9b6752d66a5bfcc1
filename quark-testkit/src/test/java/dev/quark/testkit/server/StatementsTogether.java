package dev.quark.testkit.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs database statements at the same moment, each on a thread (and so a connection) of its own, for the tests
 * that show batch statements over overlapping rows in opposite orders never deadlock: all start together at a
 * barrier, and a statement PostgreSQL picked as a deadlock victim fails the run with its exception.
 */
public final class StatementsTogether {

    private StatementsTogether() {
    }

    /**
     * Runs the statements together and returns their results, in their order.
     * @param <T> the results' type
     * @param statements the statements
     * @return what each returned
     * @throws Exception what a statement threw, or a timeout: 30 s for all to start, 60 s for each to end
     */
    @SafeVarargs
    public static <T> List<T> run(Callable<T>... statements) throws Exception {
        return run(List.of(statements));
    }

    /**
     * Runs the statements together and returns their results, in their order.
     * @param <T> the results' type
     * @param statements the statements
     * @return what each returned
     * @throws Exception what a statement threw, or a timeout: 30 s for all to start, 60 s for each to end
     */
    public static <T> List<T> run(List<? extends Callable<? extends T>> statements) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(statements.size());
        try {
            CyclicBarrier start = new CyclicBarrier(statements.size());
            List<Future<? extends T>> results = new ArrayList<>();
            for (Callable<? extends T> statement : statements) {
                results.add(threads.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    return statement.call();
                }));
            }
            List<T> values = new ArrayList<>();
            for (Future<? extends T> result : results) {
                values.add(result.get(60, TimeUnit.SECONDS));
            }
            return values;
        }
        finally {
            threads.shutdownNow();
        }
    }
}
