package dev.quark.testkit.cluster;

import java.lang.invoke.WrongMethodTypeException;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.QuarkActor;

/**
 * Throws the sample failures of {@link QuarkFailureSamples} from its turn.
 */
@QuarkActor
public class ThrowerActor extends AbstractActor implements Thrower {

    /** The sample that throws a JDK exception outside the allow-list. */
    static final String FOREIGN = "foreign";

    @Override
    public void fail(String sample) {
        if (sample.equals(FOREIGN)) {
            throw new WrongMethodTypeException("a failure of a type outside the allow-list");
        }
        throw QuarkFailureSamples.create(sample);
    }
}
