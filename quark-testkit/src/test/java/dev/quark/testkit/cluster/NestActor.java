package dev.quark.testkit.cluster;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.QuarkActor;

@QuarkActor
public class NestActor extends AbstractActor implements Nest {

    private final String siloId;

    public NestActor(String siloId) {
        this.siloId = siloId;
    }

    @Override
    public String spawn(String childId) {
        return spawnChild(Chick.class, childId).where();
    }

    @Override
    public String where() {
        return this.siloId;
    }
}
