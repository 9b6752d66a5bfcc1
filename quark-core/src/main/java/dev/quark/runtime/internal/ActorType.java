package dev.quark.runtime.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.Reentrant;
import dev.quark.actor.SharedContract;
import dev.quark.actor.StatelessWorker;
import dev.quark.runtime.ActorInstanceFactory;
import dev.quark.runtime.ActorTypeView;
import org.jspecify.annotations.Nullable;

/**
 * A registered actor implementation: how to create its instances and the counters that describe its
 * activations.
 */
public final class ActorType implements ActorTypeView {

    private final String name;

    private final Class<?> implementation;

    private final List<Class<? extends Actor>> contracts;

    private final ActorInstanceFactory instances;

    private final boolean reentrant;

    /** The size of a stateless worker's pool per id; 0 for other actors. */
    private final int maxLocalWorkers;

    private final LongAdder activations = new LongAdder();

    /** The methods of all its contracts by id, for calls from other silos. Set once by the registry. */
    private Map<Integer, ActorMethod> methodsById = Map.of();

    /**
     * Counts the messages waiting for this type's activations when asked, so that no message pays for a
     * counter every caller and every turn would contend on. Set by the catalog.
     */
    private volatile LongSupplier queued = () -> 0;

    ActorType(Class<?> implementation, List<Class<? extends Actor>> contracts, ActorInstanceFactory instances) {
        QuarkActor annotation = implementation.getAnnotation(QuarkActor.class);
        this.name = (annotation != null && !annotation.name().isBlank()) ? annotation.name()
                : ContractIntrospector.wireNameOf(ownContract(implementation, contracts));
        this.implementation = implementation;
        this.reentrant = implementation.isAnnotationPresent(Reentrant.class);
        this.maxLocalWorkers = maxLocalWorkersOf(implementation);
        this.contracts = List.copyOf(contracts);
        this.instances = instances;
    }

    /**
     * Returns the first contract that is not {@link SharedContract shared}: the one that names the type.
     * @throws IllegalArgumentException naming the implementation when it has none
     */
    private static Class<? extends Actor> ownContract(Class<?> implementation, List<Class<? extends Actor>> contracts) {
        for (Class<? extends Actor> contract : contracts) {
            if (!contract.isAnnotationPresent(SharedContract.class)) {
                return contract;
            }
        }
        throw new IllegalArgumentException("Actor implementation " + implementation.getName()
                + " implements only shared contracts " + contracts.stream().map(Class::getSimpleName).toList()
                + ": implement a contract of its own, or name its actor type with @" + QuarkActor.class.getSimpleName()
                + "(name = ...)");
    }

    private static int maxLocalWorkersOf(Class<?> implementation) {
        StatelessWorker worker = implementation.getAnnotation(StatelessWorker.class);
        if (worker == null) {
            return 0;
        }
        if (worker.maxLocalActivations() < 0) {
            throw new IllegalArgumentException("@" + StatelessWorker.class.getSimpleName()
                    + "(maxLocalActivations = " + worker.maxLocalActivations() + ") on " + implementation.getName()
                    + " must not be negative (0 for the number of processors)");
        }
        return (worker.maxLocalActivations() > 0) ? worker.maxLocalActivations()
                : Runtime.getRuntime().availableProcessors();
    }

    /**
     * Returns how many activations per id a silo runs at most for a stateless worker.
     * @return the pool size; 0 for an actor that is not a stateless worker
     */
    public int maxLocalWorkers() {
        return this.maxLocalWorkers;
    }

    @Override
    public String name() {
        return this.name;
    }

    @Override
    public Class<?> implementation() {
        return this.implementation;
    }

    @Override
    public List<Class<? extends Actor>> contracts() {
        return this.contracts;
    }

    @Override
    public long activationCount() {
        return this.activations.sum();
    }

    @Override
    public long queuedMessageCount() {
        return this.queued.getAsLong();
    }

    /**
     * Returns whether the implementation is {@link Reentrant}: any message may interleave at the points
     * where a turn waits for another actor.
     */
    public boolean isReentrant() {
        return this.reentrant;
    }

    /**
     * Returns the method with the given id, from any contract the type implements.
     */
    @Nullable ActorMethod method(int id) {
        return this.methodsById.get(id);
    }

    void methods(Map<Integer, ActorMethod> byId) {
        this.methodsById = Map.copyOf(byId);
    }

    Object newInstance() throws Exception {
        Object instance = this.instances.create(this.implementation);
        if (!this.implementation.isInstance(instance)) {
            throw new IllegalStateException("Instance factory returned " + instance.getClass().getName()
                    + " for actor implementation " + this.implementation.getName());
        }
        return instance;
    }

    void destroyInstance(Object instance) {
        this.instances.destroy(instance);
    }

    LongAdder activationCounter() {
        return this.activations;
    }

    void countQueuedWith(LongSupplier queued) {
        this.queued = queued;
    }

    @Override
    public String toString() {
        return this.name + " (" + this.implementation.getName() + ")";
    }
}
