package dev.quark.testkit.supervision;

import java.util.List;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.ActorRef;
import dev.quark.actor.DeactivationReason;
import dev.quark.actor.QuarkActor;
import dev.quark.supervision.SupervisorStrategy;

@QuarkActor
public class SupervisorActor extends AbstractActor implements Supervisor {

    private final SupervisionLog log;

    public SupervisorActor(SupervisionLog log) {
        this.log = log;
    }

    @Override
    protected SupervisorStrategy supervisorStrategy() {
        return this.log.strategies().getOrDefault(actorId(), SupervisorStrategy.defaults());
    }

    @Override
    protected void onActivate() {
        this.log.add(actorId() + ":activate");
    }

    @Override
    protected void onDeactivate(DeactivationReason reason) {
        this.log.add(actorId() + ":deactivate:" + reason);
    }

    @Override
    protected void onChildEscalation(ActorRef child, Throwable failure) throws Exception {
        this.log.add(actorId() + ":escalated:" + child.actorId() + ":" + failure.getMessage());
        super.onChildEscalation(child, failure);
    }

    @Override
    public void spawn(List<String> childIds) {
        for (String id : childIds) {
            if (id.startsWith("sup:")) {
                spawnChild(Supervisor.class, id);
            }
            else {
                spawnChild(Worker.class, id);
            }
        }
    }

    @Override
    public List<String> childIds() {
        return children().stream().map(ActorRef::actorId).toList();
    }

    @Override
    public int workOnChild(String childId, String mode) {
        return spawnChild(Worker.class, childId).work(mode);
    }

    @Override
    public void leave() {
        deactivateOnIdle();
    }
}
