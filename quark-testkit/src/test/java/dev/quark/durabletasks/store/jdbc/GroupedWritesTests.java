package dev.quark.durabletasks.store.jdbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class GroupedWritesTests {

    private final List<List<Integer>> batches = new CopyOnWriteArrayList<>();

    private final List<Integer> alone = new CopyOnWriteArrayList<>();

    private final List<Thread> writers = new CopyOnWriteArrayList<>();

    private final CompletableFuture<Void> firstWrite = new CompletableFuture<>();

    @Test
    void requestsThatQueueWhileOneIsWrittenAreWrittenTogetherUpToTheMostPerBatch() throws Exception {
        GroupedWrites<Integer, Integer> writes = new GroupedWrites<>(4, this::writeAll, this::writeOne);
        List<Future<Integer>> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            results.add(threads.submit(() -> writes.write(0)));
            await().atMost(Duration.ofSeconds(10)).until(() -> this.alone.size() == 1);
            for (int i = 1; i <= 6; i++) {
                int request = i;
                results.add(threads.submit(() -> writes.write(request)));
                await().atMost(Duration.ofSeconds(10)).until(() -> writes.queued() == request);
            }
            this.firstWrite.complete(null);
            for (int i = 0; i <= 6; i++) {
                assertThat(results.get(i).get()).isEqualTo(i * 10);
            }
        }
        assertThat(this.alone).containsExactly(0);
        assertThat(this.batches).containsExactly(List.of(1, 2, 3, 4), List.of(5, 6));
        assertThat(writes.queued()).isZero();
    }

    @Test
    void aBatchWhoseWriteFailsIsWrittenOneRequestAtATimeEachOnItsOwnThreadSoThatOnlyTheRefusedOneFails()
            throws Exception {
        GroupedWrites<Integer, Integer> writes = new GroupedWrites<>(8, (batch) -> {
            throw new IllegalStateException("refused: " + batch);
        }, this::writeOne);
        List<Future<Integer>> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            results.add(threads.submit(() -> writes.write(0)));
            await().atMost(Duration.ofSeconds(10)).until(() -> this.alone.size() == 1);
            for (int i = 1; i <= 3; i++) {
                int request = i;
                results.add(threads.submit(() -> writes.write((request == 2) ? -2 : request)));
                await().atMost(Duration.ofSeconds(10)).until(() -> writes.queued() == request);
            }
            this.firstWrite.complete(null);
            assertThat(results.get(0).get()).isZero();
            assertThat(results.get(1).get()).isEqualTo(10);
            assertThat(results.get(2)).failsWithin(Duration.ofSeconds(10))
                .withThrowableThat()
                .havingCause()
                .isInstanceOf(IllegalArgumentException.class);
            assertThat(results.get(3).get()).isEqualTo(30);
        }
        assertThat(this.alone).containsExactly(0, 1, -2, 3);
        assertThat(this.writers).hasSize(4).doesNotHaveDuplicates();
    }

    private List<Integer> writeAll(List<Integer> batch) {
        this.batches.add(List.copyOf(batch));
        return batch.stream().map((request) -> request * 10).toList();
    }

    private Integer writeOne(Integer request) {
        this.alone.add(request);
        this.writers.add(Thread.currentThread());
        if (this.alone.size() == 1) {
            this.firstWrite.join();
        }
        if (request < 0) {
            throw new IllegalArgumentException("refused " + request);
        }
        return request * 10;
    }
}
