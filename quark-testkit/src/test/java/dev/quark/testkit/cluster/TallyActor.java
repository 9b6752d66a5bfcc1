package dev.quark.testkit.cluster;

import java.util.concurrent.CompletableFuture;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.DeactivationReason;
import dev.quark.actor.QuarkActor;

/**
 * Keeps its total in the environment's store, loaded on activation and saved on deactivation, as an actor
 * with persistent state would; records its activations.
 */
@QuarkActor
public class TallyActor extends AbstractActor implements Tally {

    private final TallyEnvironment environment;

    private final String siloId;

    private long total;

    public TallyActor(TallyEnvironment environment, String siloId) {
        this.environment = environment;
        this.siloId = siloId;
    }

    @Override
    protected void onActivate() {
        this.environment.activated(actorId(), this.siloId);
        this.total = this.environment.load(actorId());
    }

    @Override
    protected void onDeactivate(DeactivationReason reason) {
        this.environment.save(actorId(), this.total);
        this.environment.deactivated(actorId(), this.siloId, reason);
    }

    @Override
    public long add(long amount) {
        this.total += amount;
        return this.total;
    }

    @Override
    public long total() {
        return this.total;
    }

    @Override
    public CompletableFuture<Long> addAsync(long amount) {
        return CompletableFuture.completedFuture(add(amount));
    }

    @Override
    public void addOneWay(long amount) {
        add(amount);
    }

    @Override
    public String where() {
        return this.siloId;
    }

    @Override
    public String hold(String gate) {
        this.environment.arrived(gate, this.siloId);
        this.environment.await(gate);
        return this.siloId;
    }

    @Override
    public String holdIdempotently(String gate) {
        return hold(gate);
    }

    @Override
    public String failIdempotently(String key) {
        this.environment.arrived(key, this.siloId);
        throw new IllegalStateException("Tally " + actorId() + " refuses " + key);
    }

    @Override
    public String callThrough(String otherId) {
        String back = this.environment.actors(this.siloId).get(Tally.class, otherId).callBack(actorId());
        return actorId() + "@" + this.siloId + " -> " + back;
    }

    @Override
    public String callBack(String callerId) {
        String caller = this.environment.actors(this.siloId).get(Tally.class, callerId).where();
        return actorId() + "@" + this.siloId + " -> " + callerId + "@" + caller;
    }

    @Override
    public String meetThenCall(String otherId, String meeting, int parties) {
        this.environment.meet(meeting, parties);
        return actorId() + " -> " + this.environment.actors(this.siloId).get(Tally.class, otherId).where();
    }

    @Override
    public String callThroughTo(String viaId, String toId) {
        return actorId() + " -> " + this.environment.actors(this.siloId).get(Tally.class, viaId).callBack(toId);
    }

    @Override
    public String callThroughWorker(String workerId, String otherId, String meeting, int parties) {
        return actorId() + " -> " + this.environment.actors(this.siloId).get(Worker.class, workerId)
            .meetThenCall(otherId, meeting, parties);
    }

    @Override
    public String callThroughHolding(String otherId, String gate) {
        return actorId() + "@" + this.siloId + " -> "
                + this.environment.actors(this.siloId).get(Tally.class, otherId).callBackHolding(actorId(), gate);
    }

    @Override
    public String callBackHolding(String callerId, String gate) {
        return actorId() + "@" + this.siloId + " -> " + callerId + "@"
                + this.environment.actors(this.siloId).get(Tally.class, callerId).hold(gate);
    }

    @Override
    public String callThroughAfter(String otherId, String gate) {
        return actorId() + "@" + this.siloId + " -> "
                + this.environment.actors(this.siloId).get(Tally.class, otherId).callBackAfter(actorId(), gate);
    }

    @Override
    public String callBackAfter(String callerId, String gate) {
        this.environment.arrived(gate, this.siloId);
        this.environment.await(gate);
        return actorId() + "@" + this.siloId + " -> " + callerId + "@"
                + this.environment.actors(this.siloId).get(Tally.class, callerId).where();
    }

    @Override
    public String holdThrough(String otherId, String gate) {
        return actorId() + " -> " + this.environment.actors(this.siloId).get(Tally.class, otherId).hold(gate);
    }

    @Override
    public String homebodyWhere(String homebodyId) {
        return this.environment.actors(this.siloId).get(Homebody.class, homebodyId).where();
    }

    @Override
    public String echo(String text) {
        return text;
    }

    @Override
    public int echoThrough(String otherId, int length) {
        return this.environment.actors(this.siloId).get(Tally.class, otherId).echo("x".repeat(length)).length();
    }

    @Override
    public String repeat(int length) {
        return "x".repeat(length);
    }
}
