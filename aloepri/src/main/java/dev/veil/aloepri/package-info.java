/** AloePri (trusted side): keys, obfuscation compiler, key file, token mapping. */
package dev.veil.aloepri;
