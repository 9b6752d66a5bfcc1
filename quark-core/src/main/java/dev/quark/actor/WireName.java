package dev.quark.actor;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Fixes the name an actor contract or a contract method has between silos, so that renaming it in Java does
 * not change its identity on the wire during a rolling upgrade.
 * <p>
 * Without it a contract's wire name is its simple name and a method's wire name is its Java name. A method's
 * id is derived from its wire name and its erased parameter types: keep the old name here when renaming
 * the method, and silos running the old and the new code still understand each other.
 * <pre>{@code
 * @WireName("Account")
 * public interface BankAccount extends Actor {
 *
 *     @WireName("deposit")
 *     void credit(long amount);    // renamed from deposit(long): same method id
 * }
 * }</pre>
 */
@Target({ ElementType.TYPE, ElementType.METHOD })
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface WireName {

    /**
     * Returns the wire name.
     * @return the name, not blank
     */
    String value();
}
