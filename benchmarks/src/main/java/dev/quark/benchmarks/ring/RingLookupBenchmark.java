package dev.quark.benchmarks.ring;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.quark.cluster.ring.HashRing;
import dev.quark.cluster.ring.RingHash;
import dev.quark.runtime.ActorAddress;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What routing one call through the hash ring costs: the address's hash, the lookup of its owner on a ring of
 * {@value #SILOS} silos with {@value #VIRTUAL_NODES} points each, and both together. The keys cycle through
 * {@value #KEYS} addresses spread over the ring, so the lookups do not all hit the same cache lines.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RingLookupBenchmark {

    static final int SILOS = 100;

    static final int VIRTUAL_NODES = 150;

    /** A power of two, so the next key's index is a mask away. */
    static final int KEYS = 1 << 14;

    private HashRing ring;

    private ActorAddress[] addresses;

    private long[] hashes;

    private int next;

    @Setup
    public void buildRing() {
        List<String> silos = new ArrayList<>(SILOS);
        for (int i = 0; i < SILOS; i++) {
            silos.add("silo-" + i);
        }
        this.ring = HashRing.of(silos, VIRTUAL_NODES);
        this.addresses = new ActorAddress[KEYS];
        this.hashes = new long[KEYS];
        for (int i = 0; i < KEYS; i++) {
            this.addresses[i] = RingBalance.address(i);
            this.hashes[i] = RingHash.of(this.addresses[i]);
        }
    }

    private int nextKey() {
        int key = this.next;
        this.next = (key + 1) & (KEYS - 1);
        return key;
    }

    @Benchmark
    public String hashAndLookup() {
        return this.ring.ownerOf(this.addresses[nextKey()]);
    }

    @Benchmark
    public String lookup() {
        return this.ring.ownerOf(this.hashes[nextKey()]);
    }

    @Benchmark
    public long hash() {
        return RingHash.of(this.addresses[nextKey()]);
    }
}
