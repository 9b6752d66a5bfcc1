package dev.quark.testkit.cluster;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.ActivationException;
import dev.quark.actor.QuarkActor;

@QuarkActor
public class NestActor extends AbstractActor implements Nest {

    private final String siloId;

    public NestActor(String siloId) {
        this.siloId = siloId;
    }

    @Override
    public String spawnTally(String childId) {
        return spawnChild(Tally.class, childId).where();
    }

    @Override
    public String spawnHomebody(String childId) {
        return spawnChild(Homebody.class, childId).where();
    }

    @Override
    public String spawnSkittish(String childId) {
        Skittish child = spawnChild(Skittish.class, childId);
        try {
            return child.where();
        }
        catch (ActivationException ex) {
            return "failed";
        }
    }

    @Override
    public String spawnFickle(String childId) {
        Fickle child = spawnChild(Fickle.class, childId);
        try {
            return child.where();
        }
        catch (ActivationException ex) {
            return "failed";
        }
    }

    @Override
    public String where() {
        return this.siloId;
    }
}
